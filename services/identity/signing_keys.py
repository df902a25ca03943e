"""Where identity's token signing keys come from, and their rotation.

Two keys, each a PEM file (an Ed25519 private key, unencrypted PKCS#8, as
``openssl genpkey -algorithm ed25519`` writes it), given by the environment:

- ``TOKEN_SIGNING_KEY_FILE``: the current key; it signs every new access token.
- ``TOKEN_PREVIOUS_KEY_FILE`` (optional; an empty file counts as none): a second key, published
  in the JWKS beside the current one but signing nothing. After a rotation it holds the old key,
  so the tokens it signed keep verifying until they expire; before a staged rotation it holds
  the next key, so every verifier knows it before the first token it signs.

A key's ``kid`` is its RFC 7638 thumbprint. In Kubernetes both files come from the Secret
``hataraku-token-signing-key`` (deploy/k8s/base/identity.yaml).

Without ``TOKEN_SIGNING_KEY_FILE`` (local development, ``make run``, the tests) identity uses a
development key, generated once into ``TOKEN_DEV_KEY_FILE`` (``.data/secrets/token-signing-
key.pem``, mode 0600) and shared by every process that starts from the same directory, and says
so in its log. With ``ENVIRONMENT=production`` that is refused: the process does not start.

``python -m services.identity rotate-signing-key --dir DIR`` rotates the keys of a directory
holding ``signing-key.pem`` and ``previous-key.pem`` (the Secret's two entries); SECURITY.md
("Token signing keys") has the procedure.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.identity.settings import IdentitySettings
from services.identity.tokens import SigningKey

log = structlog.get_logger()

SIGNING_VAR = "TOKEN_SIGNING_KEY_FILE"
PREVIOUS_VAR = "TOKEN_PREVIOUS_KEY_FILE"
DEV_VAR = "TOKEN_DEV_KEY_FILE"
# the entries of the Secret (and the files of a rotation directory)
CURRENT_NAME = "signing-key.pem"
PREVIOUS_NAME = "previous-key.pem"
MAX_PEM_BYTES = 64 * 1024
# beyond the owner's read and write, a key file may only be readable by its group (a Kubernetes
# Secret volume gives 0440 with the pod's fsGroup)
FORBIDDEN_MODE_BITS = 0o137


class KeyFileError(Exception):
    """A signing key that cannot be used; the message names the setting's environment variable."""

    def __init__(self, variable: str, problem: str, path: str | Path | None = None) -> None:
        # "" for a file no setting names (the rotation command's)
        where = f"{variable}={path}" if variable and path is not None else variable or str(path)
        super().__init__(f"{where}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class KeyRing:
    current: SigningKey
    previous: SigningKey | None
    development: bool


def load_keys(settings: IdentitySettings) -> KeyRing:
    """The configured keys; raises KeyFileError (naming the variable) when one cannot be used."""
    if settings.token_signing_key_file:
        current = read_key_file(Path(settings.token_signing_key_file), SIGNING_VAR)
        development = False
    elif settings.environment == "production":
        raise KeyFileError(
            SIGNING_VAR,
            "not set: with ENVIRONMENT=production identity signs only with a key given by a file "
            "or secret (a PEM Ed25519 private key: openssl genpkey -algorithm ed25519)",
        )
    else:
        current = dev_key(Path(settings.token_dev_key_file))
        development = True
    previous = None
    if settings.token_previous_key_file:
        previous = read_optional_key_file(Path(settings.token_previous_key_file), PREVIOUS_VAR)
    if previous is not None and previous.kid == current.kid:
        log.warning("identity.signing_key.previous_is_current", kid=current.kid)
        previous = None
    ring = KeyRing(current=current, previous=previous, development=development)
    if development:
        log.warning(
            "identity.signing_key.development",
            kid=current.kid,
            path=str(Path(settings.token_dev_key_file).resolve()),
            note=f"a development key signs the tokens; set {SIGNING_VAR} outside development",
        )
    log.info(
        "identity.signing_key.loaded",
        kid=current.kid,
        previous_kid=previous.kid if previous else None,
        development=development,
    )
    return ring


def read_key_file(path: Path, variable: str) -> SigningKey:
    """The key in a PEM file, after checking the file (exists, a regular file, not readable by
    others nor writable by anyone but its owner, an unencrypted Ed25519 private key)."""
    data = _read_pem(path, variable)
    if not data.strip():
        raise KeyFileError(variable, "the file is empty", path)
    return parse_key(data, variable, path)


def read_optional_key_file(path: Path, variable: str) -> SigningKey | None:
    """As read_key_file, but an empty file means no key (a Secret entry left empty)."""
    data = _read_pem(path, variable)
    return parse_key(data, variable, path) if data.strip() else None


def _read_pem(path: Path, variable: str) -> bytes:
    try:
        info = path.stat()  # follows links: a Secret volume's files are links into ..data/
    except FileNotFoundError:
        raise KeyFileError(variable, "no such file", path) from None
    except OSError as exc:
        raise KeyFileError(variable, f"cannot read it ({exc.strerror})", path) from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(variable, "not a regular file", path)
    mode = stat.S_IMODE(info.st_mode)
    if mode & FORBIDDEN_MODE_BITS:
        raise KeyFileError(
            variable,
            f"its permissions ({mode:04o}) let others read or change it; "
            f"chmod 600 {path} (or 640/440 for a group that runs identity)",
            path,
        )
    if info.st_size > MAX_PEM_BYTES:
        raise KeyFileError(variable, f"too large for a key ({info.st_size} bytes)", path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyFileError(variable, f"cannot read it ({exc.strerror})", path) from None


def parse_key(data: bytes, variable: str, path: Path | None = None) -> SigningKey:
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(
            variable, "the key is encrypted; identity reads an unencrypted PKCS#8 PEM", path
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(
            variable,
            "not a PEM private key (expected -----BEGIN PRIVATE KEY-----, an Ed25519 key: "
            "openssl genpkey -algorithm ed25519)",
            path,
        ) from None
    if not isinstance(private, Ed25519PrivateKey):
        kind = type(private).__name__.removeprefix("_").replace("PrivateKey", "")
        raise KeyFileError(
            variable,
            f"not an Ed25519 key ({kind}); access tokens are signed with Ed25519 "
            "(openssl genpkey -algorithm ed25519)",
            path,
        )
    return SigningKey.from_private(private)


def dev_key(path: Path) -> SigningKey:
    """The development key at ``path``, generated on first use. Processes starting together
    (replicas, a test run's apps) end up with the same key: each writes a complete file of its
    own and links it into place, and only the first link wins."""
    if not path.exists():
        try:
            write_key_file(path, SigningKey.generate(), replace=False)
        except OSError as exc:
            raise KeyFileError(
                DEV_VAR,
                f"cannot create the development key ({exc.strerror}); set {SIGNING_VAR} to a "
                "key file instead",
                path,
            ) from None
    return read_key_file(path, DEV_VAR)


def write_key_file(path: Path, key: SigningKey | None, *, replace: bool) -> None:
    """Write a key (or, for None, an empty file) with mode 0600, atomically: a reader sees the
    old file or the whole new one. Without ``replace``, an existing file is kept."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.to_pem() if key is not None else b"")
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


# --- rotation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    current: SigningKey
    previous: SigningKey | None
    dropped: SigningKey | None  # the key no longer published after this step


def rotate(directory: Path, *, mode: str = "now") -> Rotation:
    """Rotate the keys of ``directory`` (``signing-key.pem``, ``previous-key.pem``).

    - ``now``: a new key signs from the next start; the current one becomes the previous one
      (and the previous one is dropped). With no key yet, the first one is made.
    - ``stage``: a new key becomes the previous one (published, signing nothing yet); the
      current key stays. The first step of a rotation without a moment where a verifier may
      meet a kid it cannot fetch yet (several identity replicas rolling over).
    - ``promote``: the second step: the staged key signs, the current one becomes the previous.
    """
    current_path, previous_path = directory / CURRENT_NAME, directory / PREVIOUS_NAME
    current = _read_optional(current_path)
    previous = _read_optional(previous_path)
    if mode == "now":
        fresh = SigningKey.generate()
        # the first key: an empty previous-key.pem beside it, so that the directory always has
        # the Secret's two entries
        write_key_file(previous_path, current, replace=current is not None)
        write_key_file(current_path, fresh, replace=True)
        return Rotation(current=fresh, previous=current, dropped=previous)
    if current is None:
        raise KeyFileError("", "no current key to keep; rotate without --stage", current_path)
    if mode == "stage":
        fresh = SigningKey.generate()
        write_key_file(previous_path, fresh, replace=True)
        return Rotation(current=current, previous=fresh, dropped=previous)
    if mode == "promote":
        if previous is None:
            raise KeyFileError(
                "", "no staged key to promote; run with --stage first", previous_path
            )
        write_key_file(previous_path, current, replace=True)
        write_key_file(current_path, previous, replace=True)
        return Rotation(current=previous, previous=current, dropped=None)
    raise ValueError(f"unknown rotation mode {mode!r}")


def _read_optional(path: Path) -> SigningKey | None:
    if not path.exists():
        return None
    return read_optional_key_file(path, "")
