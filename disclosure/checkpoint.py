"""Signed checkpoints of the audit log: tree size, root hash, time and key — nothing private.

A checkpoint is the log's promise that its first ``tree_size`` events hash to ``root_hash``
(RFC 9162 §2.1). It is signed with the log's Ed25519 key and published; anyone who keeps one can
later demand a consistency proof, so history removed or rewritten after it cannot go unnoticed.
The signature covers ``SIGNED_PREFIX`` followed by the canonical JSON of every field but the
signature itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from disclosure.errors import InvalidInput, Violation
from disclosure.merkle import EMPTY_ROOT

CHECKPOINT_FORMAT = "govpub-audit-checkpoint/1"
KEY_FORMAT = "govpub-audit-key/1"
SIGNED_PREFIX = b"govpub audit checkpoint v1\n"
_FIELDS = ("format", "log", "tree_size", "root_hash", "timestamp", "key_id", "signature")


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The key's id: SHA-256 of the raw public key, hex (as a CT log id is the hash of its key)."""
    return hashlib.sha256(public_key_bytes(key)).hexdigest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed tree head of the audit log."""

    log: str
    tree_size: int
    root_hash: str  # hex
    timestamp: str  # ISO 8601, UTC
    key_id: str
    signature: str  # base64
    format: str = CHECKPOINT_FORMAT

    def signed_bytes(self) -> bytes:
        """What the signature covers."""
        body = {name: value for name, value in asdict(self).items() if name != "signature"}
        return SIGNED_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> bytes:
        """The published form."""
        return (json.dumps(asdict(self), sort_keys=True, indent=2) + "\n").encode()

    @property
    def issued_at(self) -> datetime:
        """The timestamp as an aware datetime."""
        return datetime.fromisoformat(self.timestamp)

    def signature_valid(self, key: Ed25519PublicKey) -> bool:
        """Whether this key signed exactly these fields."""
        try:
            key.verify(base64.b64decode(self.signature, validate=True), self.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return self.key_id == key_id(key)


def sign_checkpoint(
    key: Ed25519PrivateKey, *, log: str, tree_size: int, root: bytes, timestamp: datetime
) -> Checkpoint:
    """Sign the tree head of ``tree_size`` events with root hash ``root``."""
    if timestamp.tzinfo is None:
        raise ValueError("checkpoint timestamps must be timezone-aware")
    unsigned = Checkpoint(log=log, tree_size=tree_size, root_hash=root.hex(),
                          timestamp=timestamp.astimezone(UTC).isoformat(), key_id=key_id(key.public_key()),
                          signature="")  # fmt: skip
    signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode()
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


def parse_checkpoint(raw: bytes, *, source: str = "checkpoint") -> Checkpoint:
    """Read a published checkpoint; InvalidInput naming what is wrong with it."""
    try:
        data: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InvalidInput([Violation(source, f"not JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise InvalidInput([Violation(source, "a checkpoint is a JSON object")])
    problems = _field_problems(data, source)
    if problems:
        raise InvalidInput(problems)
    return Checkpoint(**{name: data[name] for name in _FIELDS})


def _field_problems(data: dict[str, Any], source: str) -> list[Violation]:
    problems = []
    if data.get("format") != CHECKPOINT_FORMAT:
        problems.append(Violation(f"{source}: $.format", f"expected {CHECKPOINT_FORMAT!r}"))
    for name in _FIELDS:
        expected: type = int if name == "tree_size" else str
        if not isinstance(data.get(name), expected) or isinstance(data.get(name), bool):
            problems.append(Violation(f"{source}: $.{name}", f"required, a {expected.__name__}"))
    if problems:
        return problems
    try:
        if len(bytes.fromhex(data["root_hash"])) != len(EMPTY_ROOT):
            problems.append(Violation(f"{source}: $.root_hash", "must be a SHA-256 hash in hex"))
        datetime.fromisoformat(data["timestamp"])
    except ValueError as exc:
        problems.append(Violation(source, str(exc)))
    if data["tree_size"] < 1:
        problems.append(Violation(f"{source}: $.tree_size", "must be at least 1"))
    return problems


def public_key_document(key: Ed25519PublicKey, *, log: str) -> bytes:
    """The published public key of the log (``audit/public-key.json``)."""
    document = {"format": KEY_FORMAT, "log": log, "algorithm": "Ed25519", "key_id": key_id(key),
                "public_key": base64.b64encode(public_key_bytes(key)).decode()}  # fmt: skip
    return (json.dumps(document, sort_keys=True, indent=2) + "\n").encode()


def public_key_from_document(raw: bytes) -> Ed25519PublicKey:
    """The key a published key document holds; InvalidInput if it holds none."""
    try:
        data = json.loads(raw)
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(data["public_key"], validate=True))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput([Violation("public-key.json", f"not an Ed25519 key document: {exc}")]) from None
