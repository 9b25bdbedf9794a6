"""The audit log's Ed25519 signing key: a PEM file private to the service's user, made on first use.

The private key never goes to the object store or the database: a copy of either (a backup, a
replica, a leaked dump) must not let anyone sign checkpoints. Only its public half is published.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from disclosure.errors import ConfigurationError


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The key stored at ``path``; a new one (mode 0600, folder 0700) if there is none yet."""
    if not path.exists():
        _create(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"{path} is readable by other users (mode {stat.filemode(mode)}); chmod 600 it")
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise ConfigurationError(f"{path} holds no usable private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _create(path: Path) -> None:
    """Write a new key atomically; a process that lost the race keeps the winner's key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-key-")  # created 0600
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            os.link(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
