"""The token signing keys: read from files (TOKEN_SIGNING_KEY_FILE, TOKEN_PREVIOUS_KEY_FILE), each
named by its RFC 7638 thumbprint, both published in the JWKS; a key file that cannot be used stops
the start with a message naming its variable; a development key generated once when no file is
given, refused in production; the rotation command; and a rotation end to end (a token signed
with the old key keeps working where the old key is the previous one, and only there)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from structlog.testing import capture_logs

from services.identity.__main__ import main
from services.identity.app import create_app
from services.identity.settings import IdentitySettings
from services.identity.signing_keys import (
    CURRENT_NAME,
    PREVIOUS_NAME,
    KeyFileError,
    load_keys,
    read_key_file,
    write_key_file,
)
from services.identity.tokens import SigningKey, TokenIssuer
from tests import forked
from tests.conftest import running
from tests.identity.support import GOOD_PASSWORD, bearer

ROOT = Path(__file__).resolve().parents[2]


def settings(tmp_path: Path, **values: Any) -> IdentitySettings:
    values.setdefault("token_dev_key_file", str(tmp_path / "dev" / "key.pem"))
    return IdentitySettings(**values)


def key_file(tmp_path: Path, name: str, key: SigningKey | None = None, mode: int = 0o600) -> Path:
    path = tmp_path / name
    write_key_file(path, key or SigningKey.generate(), replace=True)
    path.chmod(mode)
    return path


# --- keys from files --------------------------------------------------------------------------


def test_the_kid_is_the_rfc_7638_thumbprint():
    # RFC 8037, appendix A.1 (the key) and A.3 (its thumbprint)
    d = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    key = SigningKey.from_private(Ed25519PrivateKey.from_private_bytes(d))
    assert key.public_jwk["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert key.kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_both_keys_are_read_from_their_files_and_published(tmp_path):
    current, previous = SigningKey.generate(), SigningKey.generate()
    s = settings(
        tmp_path,
        token_signing_key_file=str(key_file(tmp_path, "current.pem", current)),
        token_previous_key_file=str(key_file(tmp_path, "previous.pem", previous, 0o440)),
    )
    ring = load_keys(s)
    assert (ring.current.kid, ring.previous and ring.previous.kid) == (current.kid, previous.kid)
    assert not ring.development and not (tmp_path / "dev").exists()
    issuer = TokenIssuer(issuer="i", audience="a", access_minutes=15)
    issuer.use(ring.current, ring.previous)
    published = issuer.jwks()["keys"]
    assert [k["kid"] for k in published] == [current.kid, previous.kid]
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in published)
    # the same file gives the same kid in every process
    assert load_keys(s).current.kid == current.kid


def test_an_empty_previous_key_file_means_no_previous_key(tmp_path):
    empty = tmp_path / "previous.pem"
    write_key_file(empty, None, replace=True)
    s = settings(
        tmp_path,
        token_signing_key_file=str(key_file(tmp_path, "current.pem")),
        token_previous_key_file=str(empty),
    )
    assert load_keys(s).previous is None


def _rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _encrypted_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )


PUBLIC_PEM = (
    b"-----BEGIN PUBLIC KEY-----\n"
    b"MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
    b"-----END PUBLIC KEY-----\n"
)


def _good_pem() -> bytes:
    return SigningKey.generate().to_pem()


# case: (the file's content (None: no file, "dir": a directory), its mode, what the error says)
BAD_FILES: dict[str, tuple[Callable[[], bytes] | str | None, int, str]] = {
    "missing": (None, 0o600, "no such file"),
    "world_readable": (_good_pem, 0o644, "permissions (0644)"),
    "group_writable": (_good_pem, 0o660, "permissions (0660)"),
    "empty": (lambda: b"", 0o600, "empty"),
    "not_pem": (lambda: b"hello\n", 0o600, "not a PEM private key"),
    "public_key": (lambda: PUBLIC_PEM, 0o600, "not a PEM private key"),
    "rsa": (_rsa_pem, 0o600, "not an Ed25519 key (RSA)"),
    "encrypted": (_encrypted_pem, 0o600, "encrypted"),
    "directory": ("dir", 0o700, "not a regular file"),
}


def make_bad(path: Path, content: Callable[[], bytes] | str | None, mode: int) -> None:
    if content == "dir":
        path.mkdir(mode=mode)
    elif callable(content):
        path.write_bytes(content())
        path.chmod(mode)


VARIABLES = {
    "token_signing_key_file": "TOKEN_SIGNING_KEY_FILE",
    "token_previous_key_file": "TOKEN_PREVIOUS_KEY_FILE",
}


@pytest.mark.parametrize(
    ("case", "field"),
    [
        (case, field)
        for case in BAD_FILES
        for field in VARIABLES
        # an empty previous key file means no previous key (below)
        if (case, field) != ("empty", "token_previous_key_file")
    ],
)
def test_a_key_file_that_cannot_be_used_stops_the_start_naming_its_variable(tmp_path, case, field):
    variable = VARIABLES[field]
    content, mode, problem = BAD_FILES[case]
    bad = tmp_path / "bad.pem"
    make_bad(bad, content, mode)
    values = {"token_signing_key_file": str(key_file(tmp_path, "good.pem")), field: str(bad)}
    with pytest.raises(KeyFileError) as exc:
        create_app(settings(tmp_path, **values))
    assert str(exc.value).startswith(f"{variable}={bad}: ")
    assert problem in str(exc.value)
    assert exc.value.variable == variable


def test_group_readable_key_files_are_accepted(tmp_path):
    for mode in (0o400, 0o440, 0o600, 0o640):
        assert read_key_file(key_file(tmp_path, f"k{mode:o}.pem", mode=mode), "X") is not None


# --- development key, production --------------------------------------------------------------


def test_without_a_key_file_a_development_key_is_generated_once_and_said_so(tmp_path):
    s = settings(tmp_path)
    dev = Path(s.token_dev_key_file)
    with capture_logs() as logs:
        first = load_keys(s)
    assert first.development
    assert dev.stat().st_mode & 0o777 == 0o600 and dev.parent.stat().st_mode & 0o777 == 0o700
    [said] = [e for e in logs if e["event"] == "identity.signing_key.development"]
    assert said["log_level"] == "warning" and said["kid"] == first.current.kid
    assert "TOKEN_SIGNING_KEY_FILE" in said["note"]
    # the next start uses the same key
    assert load_keys(s).current.kid == first.current.kid


def test_a_development_key_that_cannot_be_created_names_the_variables(tmp_path):
    (tmp_path / "a-file").write_text("")
    s = settings(tmp_path, token_dev_key_file=str(tmp_path / "a-file" / "key.pem"))
    with pytest.raises(KeyFileError) as exc:
        load_keys(s)
    assert str(exc.value).startswith("TOKEN_DEV_KEY_FILE=")
    assert "set TOKEN_SIGNING_KEY_FILE" in str(exc.value)


def test_production_without_a_key_file_does_not_start(tmp_path):
    s = settings(tmp_path, environment="production")
    with pytest.raises(KeyFileError) as exc:
        create_app(s)
    assert str(exc.value).startswith("TOKEN_SIGNING_KEY_FILE: not set")
    assert not Path(s.token_dev_key_file).exists()
    ok = settings(
        tmp_path,
        environment="production",
        token_signing_key_file=str(key_file(tmp_path, "k.pem")),
    )
    assert not load_keys(ok).development


def test_the_process_exits_with_the_message_when_a_key_file_cannot_be_used(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "ENVIRONMENT"))} | {
        "ENVIRONMENT": "production",
        "LOG_JSON": "false",
    }
    proc = forked.run("services.identity", env=env)
    assert proc.returncode == 1
    assert "hataraku: setting TOKEN_SIGNING_KEY_FILE: not set" in proc.stderr
    assert "Traceback" not in proc.stderr

    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    bad.chmod(0o600)
    proc = forked.run("services.identity", env={**env, "TOKEN_SIGNING_KEY_FILE": str(bad)})
    assert proc.returncode == 1
    assert f"hataraku: setting TOKEN_SIGNING_KEY_FILE={bad}: not a PEM private key" in proc.stderr


# --- the rotation command ---------------------------------------------------------------------


def kid_of(path: Path) -> str:
    return read_key_file(path, "X").kid


def test_rotate_signing_key_makes_the_first_key_then_moves_the_current_one_to_previous(
    tmp_path, capsys
):
    directory = tmp_path / "keys"
    current, previous = directory / CURRENT_NAME, directory / PREVIOUS_NAME
    assert main(["rotate-signing-key", "--dir", str(directory)]) == 0
    first = kid_of(current)
    assert previous.read_bytes() == b""  # the Secret's second entry, empty: no previous key
    assert current.stat().st_mode & 0o777 == 0o600
    assert first in capsys.readouterr().out

    assert main(["rotate-signing-key", "--dir", str(directory)]) == 0
    second = kid_of(current)
    assert kid_of(previous) == first and second != first
    assert main(["rotate-signing-key", "--dir", str(directory)]) == 0
    assert kid_of(previous) == second
    assert f"dropped       {first}" in capsys.readouterr().out
    # identity starts from what the command left
    s = settings(
        tmp_path, token_signing_key_file=str(current), token_previous_key_file=str(previous)
    )
    ring = load_keys(s)
    assert ring.current.kid == kid_of(current) and ring.previous is not None
    assert ring.previous.kid == second
    assert sorted(p.name for p in directory.iterdir()) == [PREVIOUS_NAME, CURRENT_NAME]


def test_rotate_signing_key_in_two_steps_stage_then_promote(tmp_path, capsys):
    directory = tmp_path / "keys"
    current, previous = directory / CURRENT_NAME, directory / PREVIOUS_NAME
    assert main(["rotate-signing-key", "--dir", str(directory), "--promote"]) == 1
    assert "no current key" in capsys.readouterr().err
    assert main(["rotate-signing-key", "--dir", str(directory)]) == 0
    old = kid_of(current)
    assert main(["rotate-signing-key", "--dir", str(directory), "--promote"]) == 1
    assert "no staged key to promote" in capsys.readouterr().err

    assert main(["rotate-signing-key", "--dir", str(directory), "--stage"]) == 0
    staged = kid_of(previous)
    assert kid_of(current) == old and staged != old  # published, not signing yet
    assert main(["rotate-signing-key", "--dir", str(directory), "--promote"]) == 0
    assert (kid_of(current), kid_of(previous)) == (staged, old)

    previous.write_text("garbage")
    assert main(["rotate-signing-key", "--dir", str(directory), "--stage"]) == 1
    assert f"{previous}: not a PEM private key" in capsys.readouterr().err


def test_the_session_of_a_token_signed_with_the_previous_key_is_found():
    old, new = SigningKey.generate(), SigningKey.generate()
    before = TokenIssuer(issuer="i", audience="a", access_minutes=15)
    before.use(old)
    account = {"_id": "a1", "role": "seeker", "email": "x@example.jp"}
    token = before.access_token(account=account, session_id="s1", now=datetime.now(UTC))
    after = TokenIssuer(issuer="i", audience="a", access_minutes=15)
    after.use(new, old)
    assert after.session_of(token) == "s1"
    after.use(new)
    assert after.session_of(token) is None


# --- a rotation, with the real service --------------------------------------------------------


@pytest.mark.integration
async def test_after_a_rotation_the_old_keys_tokens_verify_until_the_old_key_is_dropped(
    env, key_dir, tmp_path
):
    email, _ = await env.opened_seeker()
    old_kid = env.identity.tokens.key.kid
    before = (await env.login(email, GOOD_PASSWORD)).json()
    assert jwt.get_unverified_header(before["access_token"])["kid"] == old_kid

    # identity restarts with a new key, the old one as previous (same database)
    new = key_file(tmp_path, "new.pem")
    rotated = env.settings.model_copy(
        update={
            "token_signing_key_file": str(new),
            "token_previous_key_file": str(key_dir / CURRENT_NAME),
        }
    )
    async with running(create_app(rotated)) as client:
        keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert [k["kid"] for k in keys] == [kid_of(new), old_kid]
        me = await client.get("/api/v1/me", headers=bearer(before))
        assert me.status_code == 200, me.text
        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": before["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        after = refreshed.json()
        assert jwt.get_unverified_header(after["access_token"])["kid"] == kid_of(new)
        assert (await client.get("/api/v1/me", headers=bearer(after))).status_code == 200

    # the next rotation drops the old key: its tokens are refused, the new key's still work
    dropped = env.settings.model_copy(update={"token_signing_key_file": str(new)})
    async with running(create_app(dropped)) as client:
        refused = await client.get("/api/v1/me", headers=bearer(before))
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
        assert (await client.get("/api/v1/me", headers=bearer(after))).status_code == 200
