"""Signed checkpoints: what they carry, and that another key or an edited field fails the signature."""

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure.checkpoint import (
    key_id,
    parse_checkpoint,
    public_key_document,
    public_key_from_document,
    sign_checkpoint,
)
from disclosure.errors import InvalidInput
from disclosure.merkle import leaf_hash

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ROOT = leaf_hash(b"root")


def test_a_checkpoint_carries_only_size_hash_time_and_key():
    key = Ed25519PrivateKey.generate()
    signed = sign_checkpoint(key, log="demo", tree_size=42, root=ROOT, timestamp=T0)
    published = json.loads(signed.to_json())
    assert set(published) == {"format", "log", "tree_size", "root_hash", "timestamp", "key_id", "signature"}
    assert published["tree_size"] == 42
    assert published["root_hash"] == ROOT.hex()
    assert published["key_id"] == key_id(key.public_key())
    assert parse_checkpoint(signed.to_json()) == signed
    assert signed.signature_valid(key.public_key())


def test_the_signature_fails_with_another_key_or_any_edited_field():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    signed = sign_checkpoint(key, log="demo", tree_size=42, root=ROOT, timestamp=T0)
    assert not signed.signature_valid(other.public_key())
    # the same content signed by another key names that key, and fails with ours
    forged = sign_checkpoint(other, log="demo", tree_size=42, root=ROOT, timestamp=T0)
    assert not forged.signature_valid(key.public_key())
    assert not replace(forged, key_id=signed.key_id).signature_valid(key.public_key())
    for edited in (
        replace(signed, root_hash=leaf_hash(b"other").hex()),
        replace(signed, tree_size=41),
        replace(signed, timestamp=T0.replace(hour=10).isoformat()),
        replace(signed, log="another"),
        replace(signed, signature="not base64!"),
    ):
        assert not edited.signature_valid(key.public_key()), edited


def test_the_published_key_document_round_trips():
    key = Ed25519PrivateKey.generate()
    document = public_key_document(key.public_key(), log="demo")
    assert key_id(public_key_from_document(document)) == key_id(key.public_key())
    assert b"PRIVATE" not in document


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b"not json", "kept.json"),
        (b"[]", "kept.json"),
        (json.dumps({"format": "govpub-audit-checkpoint/1", "tree_size": "7"}).encode(), "$.tree_size"),
    ],
)
def test_a_malformed_checkpoint_is_invalid_input_naming_what(raw, where):
    with pytest.raises(InvalidInput) as caught:
        parse_checkpoint(raw, source="kept.json")
    assert where in str(caught.value)
