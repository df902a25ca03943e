"""Identity's domain: roles and states, seeker and establishment numbers, auth keys, and the
errors the use cases raise. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any, Literal

from servicekit.errors import Conflict, DomainError, Unauthorized

Role = Literal["seeker", "employer", "staff", "admin"]
AccountType = Literal["seeker", "employer"]
# unopened: registered at the counter, no password yet; active: can log in
AccountStatus = Literal["unopened", "active", "disabled"]
KeyPurpose = Literal["mypage_opening", "account_creation", "password_reset"]

OFFICE_CODE_RE = re.compile(r"^\d{5}$")
SEEKER_NUMBER_RE = re.compile(r"^\d{5}-\d{8}$")
ESTABLISHMENT_NUMBER_RE = re.compile(r"^\d{4}-\d{6}-\d$")


def normalize_email(value: str) -> str:
    """One spelling per address: NFKC (full-width → half-width), trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", value).strip().lower()


# --- numbers --------------------------------------------------------------------------------

SEEKER_SERIAL_MAX = 99_999_999
ESTABLISHMENT_SERIAL_MAX = 999_999


def seeker_number(office_code: str, serial: int) -> str:
    """``OOOOO-NNNNNNNN``: the registering office's code and its own 8-digit serial."""
    if not OFFICE_CODE_RE.match(office_code):
        raise ValueError("office code must be five digits")
    if not 1 <= serial <= SEEKER_SERIAL_MAX:
        raise ValueError("seeker serial out of range")
    return f"{office_code}-{serial:08d}"


def check_digit(digits: str) -> int:
    """Luhn (mod 10) check digit over a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def establishment_number(office_code: str, serial: int) -> str:
    """``NNNN-NNNNNN-C``: the first four digits of the office code, a 6-digit serial per those
    four digits, and a Luhn check digit over the ten digits before it."""
    if not OFFICE_CODE_RE.match(office_code):
        raise ValueError("office code must be five digits")
    if not 1 <= serial <= ESTABLISHMENT_SERIAL_MAX:
        raise ValueError("establishment serial out of range")
    prefix, body = office_code[:4], f"{serial:06d}"
    return f"{prefix}-{body}-{check_digit(prefix + body)}"


def is_valid_establishment_number(value: str) -> bool:
    if not ESTABLISHMENT_NUMBER_RE.match(value):
        return False
    prefix, body, check = value.split("-")
    return check_digit(prefix + body) == int(check)


# --- auth keys ------------------------------------------------------------------------------

# 8 characters from 31 that cannot be confused (no 0/O, 1/I/L): ~39.6 bits, case-insensitive
AUTH_KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
AUTH_KEY_LENGTH = 8


def new_auth_key() -> str:
    return "".join(secrets.choice(AUTH_KEY_ALPHABET) for _ in range(AUTH_KEY_LENGTH))


def normalize_auth_key(value: str) -> str:
    """What a person types: full-width, lower case, spaces and hyphens are all accepted."""
    text = unicodedata.normalize("NFKC", value).upper()
    return "".join(ch for ch in text if ch not in " -\t")


def hash_auth_key(pepper: bytes, *, purpose: str, email: str, key: str) -> str:
    """HMAC-SHA256 bound to the purpose and the address: a stored hash is useless elsewhere."""
    message = f"{purpose}\n{email}\n{normalize_auth_key(key)}".encode()
    return hmac.new(pepper, message, hashlib.sha256).hexdigest()


def auth_key_expires_at(issued_at: datetime, valid_minutes: int) -> datetime:
    return issued_at + timedelta(minutes=valid_minutes)


def auth_key_expired(expires_at: datetime, now: datetime) -> bool:
    """Valid while ``now < expires_at``: issued at 10:00 with 50 minutes, the key still works at
    10:49:59.999 and is expired from 10:50:00 on."""
    return now >= expires_at


# --- errors ---------------------------------------------------------------------------------


class EmailTaken(Conflict):
    code = "email_taken"
    ja = "このメールアドレスは既に登録されています。"
    en = "This e-mail address is already registered."


class InvalidAuthKey(DomainError):
    status, code = 400, "invalid_auth_key"
    ja = "メールアドレスまたは認証キーが正しくありません。"
    en = "The e-mail address or the auth key is not correct."


class AuthKeyExpired(DomainError):
    status, code = 400, "auth_key_expired"
    ja = "認証キーの有効期限（50分）が切れています。もう一度お申し込みください。"
    en = "The auth key has expired (it is valid for 50 minutes). Please apply again."


class TooManyAttempts(DomainError):
    status, code = 429, "too_many_attempts"
    ja = "試行回数が上限を超えました。しばらくしてから再度お試しください。"
    en = "Too many attempts. Please try again later."

    def __init__(self, *, retry_after: int | None = None, **kwargs: Any) -> None:
        headers = {"Retry-After": str(max(1, retry_after))} if retry_after is not None else None
        super().__init__(headers=headers, **kwargs)


class PasswordPolicyError(DomainError):
    """Rendered by identity's own handler: ``errors`` names each failed rule in the reader's
    language."""

    status, code = 400, "password_policy"
    ja = "パスワードが条件を満たしていません。"
    en = "The password does not meet the requirements."

    def __init__(self, violations: list[Any]) -> None:
        super().__init__()
        self.violations = violations


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    ja = "メールアドレスまたはパスワードが正しくありません。"
    en = "The e-mail address or the password is not correct."


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"
    ja = "ログインの有効期限が切れました。再度ログインしてください。"
    en = "The refresh token is not valid. Please log in again."


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"
    ja = "不正な利用の可能性があるため、ログアウトしました。再度ログインしてください。"
    en = "This refresh token was already used; every session of it was ended. Please log in again."


class AccountNotFound(DomainError):
    status, code = 404, "account_not_found"
    ja, en = "アカウントが見つかりません。", "The account was not found."
