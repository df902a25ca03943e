"""Reading the dev mailbox (.eml files written by the SMTP sink): used by `make run`'s demo set-up
and by the end-to-end tests, exactly as a person would read the mail."""

from __future__ import annotations

import asyncio
import email
import re
from dataclasses import dataclass
from email import policy
from pathlib import Path

KEY_LINE = re.compile(r"^認証キー: (\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Mail:
    path: Path
    to: str
    subject: str
    body: str
    sender: str

    @property
    def auth_key(self) -> str | None:
        match = KEY_LINE.search(self.body)
        return match.group(1) if match else None


def read(path: Path) -> Mail:
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    part = msg.get_body(preferencelist=("plain",))
    body = part.get_content() if part is not None else ""
    return Mail(
        path=path,
        to=str(msg["To"] or ""),
        subject=str(msg["Subject"] or ""),
        body=str(body),
        sender=str(msg["From"] or ""),
    )


def mails(folder: Path, *, to: str | None = None) -> list[Mail]:
    if not folder.exists():
        return []
    out = [read(p) for p in sorted(folder.glob("*.eml"))]
    return [m for m in out if to is None or to.lower() in m.to.lower()]


async def wait_for_mail(folder: Path, *, to: str, after: int = 0, timeout: float = 20.0) -> Mail:
    """The first mail to ``to`` beyond the ``after`` ones already there."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = mails(folder, to=to)
        if len(found) > after:
            return found[after]
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"no mail to {to} in {folder} after {timeout} s")
        await asyncio.sleep(0.1)
