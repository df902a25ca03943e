"""A process whose setting is missing or malformed exits at start with one line naming the
variable, never a pydantic traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from servicekit.settings import ServiceSettings, describe
from tests import forked

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HTTP_", "INTERNAL_"))}
    if args[0] == "-m":  # a service: forked (tests/forked.py), its imports already done
        return forked.run(args[1], *args[2:], env={**clean, **env}, timeout=120)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_malformed_port_stops_the_jobs_service_with_one_line() -> None:
    result = run(["-m", "services.jobs"], HTTP_PORT="abc")
    assert result.returncode != 0
    assert result.stderr.strip() == 'hataraku: setting HTTP_PORT: not a valid integer ("abc")'
    assert "Traceback" not in result.stderr


def test_every_bad_variable_is_named_on_the_one_line() -> None:
    result = run(["-m", "services.messaging"], PREFETCH="0", OUTBOX_POLL_SECONDS="soon")
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("hataraku: ")
    assert "setting PREFETCH: input should be greater than or equal to 1" in line
    assert 'setting OUTBOX_POLL_SECONDS: not a valid number ("soon")' in line


def test_the_gateway_names_the_two_ports_that_clash() -> None:
    result = run(["-m", "gateway"], HTTP_PORT="9000", INTERNAL_PORT="9000")
    assert result.returncode != 0
    assert result.stderr.strip() == "hataraku: settings: INTERNAL_PORT must differ from HTTP_PORT"


def test_a_missing_required_setting_is_named() -> None:
    code = (
        "from servicekit.settings import ServiceSettings\n"
        "class Needs(ServiceSettings):\n"
        "    signing_key_file: str\n"
        "Needs()\n"
    )
    result = run(["-c", code])
    assert result.returncode != 0
    assert result.stderr.strip() == "hataraku: setting SIGNING_KEY_FILE: required, not set"


def test_secrets_and_urls_are_never_echoed() -> None:
    class WithUrl(ServiceSettings):
        retries: int = 1

    with pytest.raises(ValidationError) as caught:
        WithUrl(amqp_url=["amqp://user:hunter2@host/"], retries="x")
    line = describe(caught.value)
    assert "hunter2" not in line
    assert "setting AMQP_URL: " in line and 'setting RETRIES: not a valid integer ("x")' in line


def test_other_errors_keep_their_traceback() -> None:
    result = run(["-c", "raise RuntimeError('boom')"])
    assert "Traceback" in result.stderr and "boom" in result.stderr
