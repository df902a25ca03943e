"""The password policy, as pure functions: each rule a password breaks is reported separately.

- 8 to 32 characters;
- half-width printable ASCII only (``!`` … ``~``): full-width characters, spaces and control
  characters are refused (``invalid_characters``);
- at least one digit, one letter and one symbol;
- not one of the 5,000 most common passwords (compared case-insensitively).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MIN_LENGTH = 8
MAX_LENGTH = 32
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"

_ALLOWED = frozenset(chr(c) for c in range(0x21, 0x7F))  # printable ASCII without the space
_SYMBOLS = frozenset(string.punctuation)


@dataclass(frozen=True)
class Violation:
    code: str
    ja: str
    en: str

    def as_error(self, *, english: bool) -> dict[str, str]:
        return {"field": "password", "code": self.code, "message": self.en if english else self.ja}


TOO_SHORT = Violation(
    "too_short",
    f"パスワードは{MIN_LENGTH}文字以上で入力してください。",
    f"The password must have at least {MIN_LENGTH} characters.",
)
TOO_LONG = Violation(
    "too_long",
    f"パスワードは{MAX_LENGTH}文字以内で入力してください。",
    f"The password must have at most {MAX_LENGTH} characters.",
)
INVALID_CHARACTERS = Violation(
    "invalid_characters",
    "パスワードには半角英数字と記号のみ使用できます（全角文字、空白、制御文字は使用できません）。",
    "Use half-width letters, digits and symbols only (no full-width characters, spaces or control characters).",
)
NEEDS_DIGIT = Violation(
    "needs_digit",
    "パスワードには数字を1文字以上含めてください。",
    "The password must contain a digit.",
)
NEEDS_LETTER = Violation(
    "needs_letter",
    "パスワードには英字を1文字以上含めてください。",
    "The password must contain a letter.",
)
NEEDS_SYMBOL = Violation(
    "needs_symbol",
    "パスワードには記号を1文字以上含めてください。",
    "The password must contain a symbol (such as ! # $ %).",
)
TOO_COMMON = Violation(
    "too_common",
    "このパスワードはよく使われているため使用できません。",
    "This password is too common.",
)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("# ")
    )


def check_password(password: str) -> list[Violation]:
    """Every rule the password breaks, in a stable order; empty when it is acceptable."""
    problems: list[Violation] = []
    if len(password) < MIN_LENGTH:
        problems.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    if any(ch not in _ALLOWED for ch in password):
        problems.append(INVALID_CHARACTERS)
    if not any(ch in string.digits for ch in password):
        problems.append(NEEDS_DIGIT)
    if not any(ch in string.ascii_letters for ch in password):
        problems.append(NEEDS_LETTER)
    if not any(ch in _SYMBOLS for ch in password):
        problems.append(NEEDS_SYMBOL)
    if password.lower() in common_passwords():
        problems.append(TOO_COMMON)
    return problems
