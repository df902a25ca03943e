"""``python -m services.identity create-staff`` (staff and admin accounts) and
``rotate-signing-key`` (the token signing keys), from the command line."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TextIO

from pymongo.errors import PyMongoError

from servicekit.clock import SystemClock
from servicekit.db import connect
from servicekit.errors import DomainError
from services.identity import service_registration, signing_keys
from services.identity.domain import PasswordPolicyError
from services.identity.repository import Repository
from services.identity.service import Identity
from services.identity.settings import IdentitySettings


def read_password(stdin: TextIO) -> str:
    """One line from standard input (a prompt without echo when it is a terminal)."""
    if stdin.isatty():
        return getpass.getpass("Password: ")
    return stdin.readline().rstrip("\r\n")


async def create_staff(
    settings: IdentitySettings,
    *,
    email: str,
    office_code: str,
    admin: bool,
    name: str | None,
    password: str,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Create the account; the exit status (0 done, 1 refused input, 2 database unreachable)."""
    if not password:
        print("error [empty_password]: no password on standard input", file=err)
        return 1
    client, db = connect(settings.mongodb_url, settings.database)
    identity = Identity.build(settings, Repository(db), SystemClock(), None)
    try:
        await identity.repo.ensure_indexes()
        doc = await service_registration.create_staff(
            identity,
            email=email,
            office_code=office_code,
            password=password,
            admin=admin,
            name=name,
        )
    except PasswordPolicyError as exc:
        print(f"error [{exc.code}]: {exc.en}", file=err)
        for violation in exc.violations:
            print(f"  - {violation.code}: {violation.en} / {violation.ja}", file=err)
        return 1
    except DomainError as exc:
        print(f"error [{exc.code}]: {exc.en} / {exc.ja}", file=err)
        return 1
    except PyMongoError as exc:
        print(f"error [database]: cannot use MongoDB at {settings.mongodb_url}: {exc}", file=err)
        return 2
    finally:
        await identity.stop()
        await client.close()
    print(
        f"created {doc['role']} account {doc['_id']} for {doc['email']} (office {doc['office_code']})",
        file=out,
    )
    return 0


def rotate_signing_key(
    directory: Path, *, mode: str, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """``rotate-signing-key``: rotate the key files of a directory; the exit status (0 done,
    1 refused: a key file that cannot be used, or nothing to promote)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        done = signing_keys.rotate(directory, mode=mode)
    except signing_keys.KeyFileError as exc:
        print(f"error: {exc}", file=err)
        return 1
    except OSError as exc:
        print(f"error: {directory}: {exc.strerror or exc}", file=err)
        return 1
    current = directory / signing_keys.CURRENT_NAME
    previous = directory / signing_keys.PREVIOUS_NAME
    print(f"signing key   {done.current.kid}  {current}", file=out)
    if done.previous is not None:
        role = "staged" if mode == "stage" else "previous"  # published; signs nothing (yet)
        print(f"{role:<13} {done.previous.kid}  {previous}", file=out)
    if done.dropped is not None:
        print(f"dropped       {done.dropped.kid}  (no longer published)", file=out)
    print(
        "next: give identity these files (TOKEN_SIGNING_KEY_FILE, TOKEN_PREVIOUS_KEY_FILE; in "
        "Kubernetes the Secret hataraku-token-signing-key) and restart it (rollout)",
        file=out,
    )
    return 0
