"""``python -m services.identity create-staff`` as an operator runs it: a process of its own
(forked, tests/forked.py), its arguments on the command line, the password on standard input."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from tests import forked
from tests.identity.support import STAFF_PASSWORD, bearer

pytestmark = pytest.mark.integration


def create_staff(
    env, *args: str, password: str = STAFF_PASSWORD
) -> subprocess.CompletedProcess[str]:
    process_env = {
        **os.environ,
        "MONGODB_URL": env.settings.mongodb_url,
        "DB_NAME": env.settings.db_name,
        "LOG_JSON": "false",
    }
    return forked.run(
        "services.identity", "create-staff", *args, env=process_env, input=password + "\n"
    )


async def test_create_staff_and_admin_then_log_in(env):
    email = f"Staff-{uuid.uuid4().hex[:8]}@Hataraku.example"
    done = create_staff(env, "--email", email, "--office-code", "27020", "--name", "窓口 一郎")
    assert done.returncode == 0, done.stderr
    assert "created staff account" in done.stdout
    r = await env.login(email.lower(), STAFF_PASSWORD)
    assert r.status_code == 200, r.text
    me = (await env.client.get("/api/v1/me", headers=bearer(r.json()))).json()
    assert me["role"] == "staff" and me["office_code"] == "27020" and me["name"] == "窓口 一郎"

    admin = f"admin-{uuid.uuid4().hex[:8]}@hataraku.example"
    done = create_staff(env, "--email", admin, "--office-code", "13010", "--admin")
    assert done.returncode == 0, done.stderr
    tokens = (await env.login(admin, STAFF_PASSWORD)).json()
    assert (await env.client.get("/api/v1/me", headers=bearer(tokens))).json()["role"] == "admin"

    again = create_staff(env, "--email", email.upper(), "--office-code", "27020")
    assert again.returncode == 1
    assert "email_taken" in again.stderr


@pytest.mark.parametrize(
    ("args", "password", "expected"),
    [
        (["--email", "not-an-address", "--office-code", "13010"], STAFF_PASSWORD, "e-mail"),
        (["--email", "x@hataraku.example", "--office-code", "1301"], STAFF_PASSWORD, "five digits"),
        (["--email", "x@hataraku.example", "--office-code", "13010"], "password", "too_common"),
        (["--email", "x@hataraku.example", "--office-code", "13010"], "", "empty_password"),
    ],
)
async def test_create_staff_refuses_bad_input(env, args, password, expected):
    done = create_staff(env, *args, password=password)
    assert done.returncode == 1
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


async def test_create_staff_lists_every_failed_password_rule(env):
    done = create_staff(
        env, "--email", "y@hataraku.example", "--office-code", "13010", password="ｐａｓｓ"
    )
    assert done.returncode == 1
    for code in ("too_short", "invalid_characters", "needs_digit", "needs_letter", "needs_symbol"):
        assert code in done.stderr


async def test_create_staff_needs_its_arguments(env):
    done = create_staff(env, "--email", "z@hataraku.example")
    assert done.returncode == 2
    assert "--office-code" in done.stderr
