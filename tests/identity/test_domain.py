"""Numbers, e-mail normalisation and auth keys (pure functions, no I/O)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from servicekit.clock import FrozenClock
from services.identity.domain import (
    AUTH_KEY_ALPHABET,
    auth_key_expired,
    auth_key_expires_at,
    check_digit,
    establishment_number,
    hash_auth_key,
    is_valid_establishment_number,
    new_auth_key,
    normalize_auth_key,
    normalize_email,
    seeker_number,
)


def test_seeker_number_is_office_code_and_eight_digit_serial():
    assert seeker_number("13010", 1) == "13010-00000001"
    assert seeker_number("27020", 12345678) == "27020-12345678"
    assert re.fullmatch(r"\d{5}-\d{8}", seeker_number("01010", 99_999_999))
    for bad in [("1301", 1), ("13010", 0), ("13010", 100_000_000), ("1301a", 1)]:
        with pytest.raises(ValueError):
            seeker_number(*bad)


def test_establishment_number_has_office_prefix_serial_and_check_digit():
    number = establishment_number("13010", 1)
    assert re.fullmatch(r"1301-000001-\d", number)
    assert number == "1301-000001-" + str(check_digit("1301000001"))
    assert is_valid_establishment_number(number)
    # a typo in any digit is caught by the check digit
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not is_valid_establishment_number(wrong)
    assert not is_valid_establishment_number("1301-00001-1")
    with pytest.raises(ValueError):
        establishment_number("13010", 1_000_000)


def test_luhn_check_digit_known_value():
    # the classic Luhn example: 7992739871 → 3
    assert check_digit("7992739871") == 3


def test_email_normalisation_folds_width_and_case():
    assert normalize_email("  Ｙａｍａｄａ＠Example.JP ") == "yamada@example.jp"


def test_auth_keys_are_eight_unambiguous_characters():
    keys = {new_auth_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert len(key) == 8 and set(key) <= set(AUTH_KEY_ALPHABET)
    assert not set("01IOL") & set(AUTH_KEY_ALPHABET)


def test_a_typed_key_is_normalised_before_hashing():
    pepper = b"p" * 32
    stored = hash_auth_key(pepper, purpose="mypage_opening", email="a@b.jp", key="ABCD2345")
    for typed in ["abcd2345", "ABCD-2345", "ＡＢＣＤ２３４５", " abcd 2345 "]:
        assert normalize_auth_key(typed) == "ABCD2345"
        assert hash_auth_key(pepper, purpose="mypage_opening", email="a@b.jp", key=typed) == stored
    # bound to the purpose, the address and the pepper
    assert hash_auth_key(pepper, purpose="password_reset", email="a@b.jp", key="ABCD2345") != stored
    assert hash_auth_key(pepper, purpose="mypage_opening", email="c@b.jp", key="ABCD2345") != stored
    assert (
        hash_auth_key(b"q" * 32, purpose="mypage_opening", email="a@b.jp", key="ABCD2345") != stored
    )


def test_auth_key_is_valid_for_exactly_fifty_minutes():
    """Boundary: valid while now < issued + 50 min; expired from issued + 50:00 on."""
    clock = FrozenClock(datetime(2026, 4, 1, 10, 0, 0, tzinfo=UTC))
    expires_at = auth_key_expires_at(clock.now(), 50)
    assert expires_at == datetime(2026, 4, 1, 10, 50, 0, tzinfo=UTC)

    clock.advance(timedelta(minutes=49, seconds=59))
    assert not auth_key_expired(expires_at, clock.now())
    clock.advance(timedelta(milliseconds=999))
    assert not auth_key_expired(expires_at, clock.now())
    clock.advance(timedelta(milliseconds=1))  # 10:50:00.000
    assert auth_key_expired(expires_at, clock.now())
    clock.advance(timedelta(days=1))
    assert auth_key_expired(expires_at, clock.now())
