"""The password policy, rule by rule (pure functions, no I/O)."""

from __future__ import annotations

import pytest

from services.identity.password_policy import check_password, common_passwords


def codes(password: str) -> list[str]:
    return [v.code for v in check_password(password)]


@pytest.mark.parametrize(
    "password",
    [
        "Hataraku-2026",
        "a1!aaaaa",  # exactly 8
        "Ab1!" * 8,  # exactly 32
        "~Zz9`{}|",
        "1234567a!",
    ],
)
def test_good_passwords_pass(password):
    assert codes(password) == []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("a1!aaaa", ["too_short"]),  # 7 characters
        ("Ab1!" * 8 + "x", ["too_long"]),  # 33 characters
        ("", ["too_short", "needs_digit", "needs_letter", "needs_symbol"]),
        ("abcdefgh!", ["needs_digit"]),
        ("12345678!", ["needs_letter"]),
        ("abcd1234x", ["needs_symbol"]),
        ("Hataraku 2026!", ["invalid_characters"]),  # a space
        ("Hataraku\t2026!", ["invalid_characters"]),  # a control character
        ("Hataraku\x002026!", ["invalid_characters"]),
        (
            "Ｈａｔａｒａｋｕ－２０２６",
            ["invalid_characters", "needs_digit", "needs_letter", "needs_symbol"],
        ),
        ("Hataraku2026！", ["invalid_characters", "needs_symbol"]),  # full-width "!"
        ("はたらく2026!x", ["invalid_characters"]),
        ("password", ["needs_digit", "needs_symbol", "too_common"]),
        ("P@ssw0rd", ["too_common"]),  # on the list, case-insensitively
        ("P@SSW0RD", ["too_common"]),
        ("xqz", ["too_short", "needs_digit", "needs_symbol"]),
        ("abc", ["too_short", "needs_digit", "needs_symbol", "too_common"]),
    ],
)
def test_each_broken_rule_is_reported(password, expected):
    assert codes(password) == expected


def test_each_violation_has_japanese_and_english_messages():
    for v in check_password(""):
        assert v.ja and v.en
        assert v.as_error(english=False)["message"] == v.ja
        assert v.as_error(english=True) == {"field": "password", "code": v.code, "message": v.en}


def test_the_common_password_list_ships_with_the_service():
    common = common_passwords()
    assert 4900 <= len(common) <= 5000
    assert {"123456", "password", "qwerty", "p@ssw0rd"} <= common
    assert all(p == p.lower() for p in common)
