"""Unit: the state machine as a table of every (state, action) — allowed or refused — and the
text and projection rules. No I/O."""

from __future__ import annotations

from datetime import date

import pytest

from services.applications.domain import (
    ACTIONS,
    FINAL,
    STATUSES,
    InvalidTransition,
    clean_text,
    next_actions,
    next_status,
    posting_state,
    seeker_state,
)

# every state × every action: the state it leads to, or None when refused
EXPECTED: dict[str, dict[str, str | None]] = {
    "referral_requested": {
        "issue_referral": "referred",
        "decline_referral": "declined",
        "screening": None,
        "interview": None,
        "offered": None,
        "hired": None,
        "rejected": None,
        "withdraw": "withdrawn",
    },
    "applied": {
        "issue_referral": None,
        "decline_referral": None,
        "screening": "screening",
        "interview": "interview",
        "offered": "offered",
        "hired": "hired",
        "rejected": "rejected",
        "withdraw": "withdrawn",
    },
    "referred": {
        "issue_referral": None,
        "decline_referral": None,
        "screening": "screening",
        "interview": "interview",
        "offered": "offered",
        "hired": "hired",
        "rejected": "rejected",
        "withdraw": "withdrawn",
    },
    "screening": {
        "issue_referral": None,
        "decline_referral": None,
        "screening": None,
        "interview": "interview",
        "offered": "offered",
        "hired": "hired",
        "rejected": "rejected",
        "withdraw": "withdrawn",
    },
    "interview": {
        "issue_referral": None,
        "decline_referral": None,
        "screening": None,
        "interview": "interview",
        "offered": "offered",
        "hired": "hired",
        "rejected": "rejected",
        "withdraw": "withdrawn",
    },
    "offered": {
        "issue_referral": None,
        "decline_referral": None,
        "screening": None,
        "interview": None,
        "offered": None,
        "hired": "hired",
        "rejected": "rejected",
        "withdraw": "withdrawn",
    },
    **{final: dict.fromkeys(ACTIONS) for final in ("hired", "rejected", "withdrawn", "declined")},
}

CASES = [(s, a, EXPECTED[s][a]) for s in STATUSES for a in ACTIONS]


def test_the_table_covers_every_state_and_action() -> None:
    assert set(EXPECTED) == set(STATUSES)
    assert all(set(row) == set(ACTIONS) for row in EXPECTED.values())
    assert len(CASES) == len(STATUSES) * len(ACTIONS) == 80


@pytest.mark.parametrize(("state", "action", "expected"), CASES)
def test_every_state_and_action(state: str, action: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            next_status(state, action)
        assert refused.value.status == 409 and refused.value.code == "invalid_transition"
    else:
        assert next_status(state, action) == expected


def test_final_states_have_no_way_out() -> None:
    assert set(FINAL) == {"hired", "rejected", "withdrawn", "declined"}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ＡＢＣ１２３", "ABC123"),  # full-width → half-width (NFKC)
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width kana → full-width
        ("  志望\u0000動機\u0007です \r\n二行目\t終わり  ", "志望動機です \n二行目 終わり"),
        ("\u200b", "\u200b"),  # not a control character (Cf): kept
        ("\u0001\u0002", ""),
    ],
)
def test_text_is_normalised_and_control_characters_go(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_seeker_state_reads_the_facets() -> None:
    assert seeker_state(None) == "unknown"
    assert seeker_state({"_id": "x", "profile": {}}) == "unknown"  # no registration fact yet
    assert seeker_state({"status": "registered"}) == "registered"
    assert seeker_state({"status": "provisional"}) == "provisional"
    assert seeker_state({"status": "registered", "lapsed": True}) == "lapsed"
    assert seeker_state({"status": "cancelled", "lapsed": True}) == "cancelled"


def test_a_posting_past_its_last_day_is_expired_before_the_event() -> None:
    today = date(2026, 11, 24)
    assert posting_state({"status": "open", "valid_until": "2026-11-24"}, today) == "open"
    assert posting_state({"status": "open", "valid_until": "2026-11-23"}, today) == "expired"
    assert posting_state({"status": "closed", "valid_until": "2027-01-31"}, today) == "closed"


def test_next_actions_are_the_moves_the_role_may_take() -> None:
    assert next_actions("applied", "employer") == [
        "screening", "interview", "offered", "hired", "rejected"
    ]  # fmt: skip
    assert next_actions("interview", "employer") == ["interview", "offered", "hired", "rejected"]
    assert next_actions("referral_requested", "employer") == []
    assert next_actions("referral_requested", "staff") == ["issue_referral", "decline_referral"]
    assert next_actions("referral_requested", "admin") == ["issue_referral", "decline_referral"]
    assert next_actions("screening", "seeker") == ["withdraw"]
    for final in ("hired", "rejected", "withdrawn", "declined"):
        for role in ("seeker", "employer", "staff"):
            assert next_actions(final, role) == []
