"""Contracts: every event and command has an example that validates, and the committed JSON
Schemas match the models (regenerate with `python -m contracts.schemas`)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
from pydantic import ValidationError

from contracts import ALL, REGISTRY, Envelope
from contracts.identity import SeekerRegistered
from contracts.schemas import EXAMPLES, drift


def test_committed_schemas_match_the_models():
    assert drift() == []


def test_type_names_are_versioned_and_unique():
    names = [m.TYPE for m in ALL]
    assert len(names) == len(set(names))
    for m in ALL:
        service, *_, version = m.TYPE.split(".")
        assert version.startswith("v") and version[1:].isdigit()
        assert service in {"identity", "jobs", "applications", "messaging", "notifier", "employer"}


@pytest.mark.parametrize("model", ALL, ids=lambda m: m.TYPE)
def test_every_message_has_a_valid_example(model):
    path = EXAMPLES / f"{model.TYPE}.json"
    assert path.exists(), f"add an example envelope at {path}"
    envelope = Envelope.model_validate_json(path.read_text(encoding="utf-8"))
    assert envelope.type == model.TYPE
    payload = REGISTRY[envelope.type].model_validate(envelope.data)
    # the example round-trips: nothing in it is ignored by the model
    assert payload.model_dump(mode="json") == envelope.data


def test_examples_have_no_orphans():
    known = {f"{m.TYPE}.json" for m in ALL}
    assert {p.name for p in EXAMPLES.glob("*.json")} <= known


def _example(**changes):
    data = json.loads((EXAMPLES / "identity.seeker.registered.v1.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def test_envelope_rejects_a_naive_timestamp():
    with pytest.raises(ValidationError):
        Envelope.model_validate(_example(occurred_at="2026-11-24T01:02:03"))


@pytest.mark.parametrize("bad", ["identity.seeker.registered", "Identity.Seeker.v1", "x.v1", ""])
def test_envelope_rejects_unversioned_or_malformed_types(bad):
    with pytest.raises(ValidationError):
        Envelope.model_validate(_example(type=bad))


def test_envelope_rejects_unknown_top_level_fields_and_missing_ids():
    with pytest.raises(ValidationError):
        Envelope.model_validate(_example(extra="x"))
    data = _example()
    del data["correlation_id"]
    with pytest.raises(ValidationError):
        Envelope.model_validate(data)


def test_events_are_frozen_and_validate_their_fields():
    event = SeekerRegistered.model_validate(
        json.loads((EXAMPLES / "identity.seeker.registered.v1.json").read_text(encoding="utf-8"))[
            "data"
        ]
    )
    with pytest.raises(ValidationError):
        event.seeker_id = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        SeekerRegistered.model_validate({**event.model_dump(), "seeker_number": "1301-0000004"})


def test_wrap_builds_a_valid_envelope():
    event = SeekerRegistered.model_validate(
        json.loads((EXAMPLES / "identity.seeker.registered.v1.json").read_text(encoding="utf-8"))[
            "data"
        ]
    )
    env = Envelope.wrap(event, producer="identity", subject=event.seeker_id, correlation_id="c-1")
    assert isinstance(env.id, uuid.UUID) and env.type == SeekerRegistered.TYPE
    assert isinstance(env.occurred_at, datetime) and env.occurred_at.tzinfo is not None
    again = Envelope.model_validate_json(env.model_dump_json())
    assert again == env
