"""The audit log made tamper-evident beyond this machine: signed checkpoints and their verification.

The events form a Merkle tree (RFC 9162 §2.1; leaf = the event's canonical bytes). A checkpoint —
tree size, root hash, time, key id, Ed25519 signature — goes to the public bucket
(``audit/checkpoints/<size>.json``, ``audit/checkpoint.json`` the latest, ``audit/public-key.json``)
after each publication and, from the reconciler, when the log grew and the last one is older than
the interval. ``verify`` checks the chain, then that the current tree is consistent with every
checkpoint it can find (the database's, the public bucket's, and any a person kept), then the rows
that record legal acts against their events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import select

from disclosure.checkpoint import (
    Checkpoint,
    key_id,
    parse_checkpoint,
    public_key_document,
    public_key_from_document,
    sign_checkpoint,
)
from disclosure.errors import AuditChainBroken, AuditLogInconsistent, InvalidInput, ServiceUnavailable
from disclosure.merkle import Frontier, verify_consistency
from storage.db import read_scope, session_scope
from storage.models import AuditCheckpoint, AuditHead, aware, utcnow
from storage.objectstore import ObjectStore
from storage.public import PublicWriter
from storage.repository.audit import (
    latest_checkpoint,
    list_checkpoints,
    scan_trail,
    verify_events,
)
from storage.repository.audit_rows import check_rows

logger = logging.getLogger(__name__)
CHECKPOINTS_PREFIX = "audit/checkpoints/"


@dataclass
class AuditReport:
    """What ``verify`` checked and every problem it found (none: the log is intact)."""

    events: int
    root_hash: str
    checkpoints: int
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class AuditLog:
    """Writes and checks the signed checkpoints of the audit log."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: ObjectStore,
        public_bucket: str,
        key: Ed25519PrivateKey,
        log: str,
        interval: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._store = store
        self._bucket = public_bucket
        self._writer = PublicWriter(store, public_bucket)
        self._key = key
        self._log = log
        self._interval = interval
        self._clock = clock

    @property
    def key_id(self) -> str:
        """The id of the key checkpoints are signed with."""
        return key_id(self._key.public_key())

    # -- writing -----------------------------------------------------------------------------
    def checkpoint(self, *, force: bool = True) -> Checkpoint | None:
        """Sign and publish a checkpoint of the log as it is now, if it grew since the last one.

        Without ``force`` only when the last checkpoint is older than the interval. With ``force``
        and nothing new, the latest checkpoint is published again and returned. Appenders wait
        while it runs (the head row is locked), so the checkpoint is of a committed prefix.
        """
        with session_scope(self._engine) as session:
            head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
            last = latest_checkpoint(session=session)
            if head.sequence == 0:
                return None
            if last is not None and last.tree_size > head.sequence:
                raise AuditChainBroken(head.sequence + 1, f"missing: checkpoint {last.tree_size} was published "
                                       f"but the log holds {head.sequence} events")  # fmt: skip
            if last is not None and last.tree_size == head.sequence:
                return self._publish(parse_checkpoint(last.body.encode())) if force else None
            if not force and last is not None and self._clock() - aware(last.issued_at) < self._interval:
                return None
            frontier = self._frontier(last)
            verify_events(session=session, after=frontier.size, upto=head.sequence,
                          prev_hash=last.chain_hash if last else "",
                          on_record=lambda _record, leaf: frontier.append(leaf))  # fmt: skip
            signed = sign_checkpoint(self._key, log=self._log, tree_size=frontier.size, root=frontier.root(),
                                     timestamp=self._clock())  # fmt: skip
            signed = self._publish(signed)
            session.add(AuditCheckpoint(tree_size=signed.tree_size, root_hash=signed.root_hash,
                                        chain_hash=head.hash, frontier=[h.hex() for h in frontier.hashes],
                                        issued_at=signed.issued_at, key_id=signed.key_id,
                                        body=signed.to_json().decode()))  # fmt: skip
        logger.info("audit checkpoint %s: %s", signed.tree_size, signed.root_hash)
        return signed

    def checkpoint_quietly(self) -> None:
        """A checkpoint after a public act; one that fails is logged and the reconciler writes it later."""
        try:
            self.checkpoint(force=True)
        except (AuditChainBroken, AuditLogInconsistent, InvalidInput, ServiceUnavailable):
            logger.exception("the audit log could not be checkpointed; `govpub audit verify` names why")

    @staticmethod
    def _frontier(last: AuditCheckpoint | None) -> Frontier:
        if last is None:
            return Frontier()
        frontier = Frontier(last.tree_size, [bytes.fromhex(h) for h in last.frontier])
        if frontier.root().hex() != last.root_hash:
            raise AuditChainBroken(last.tree_size, "the stored checkpoint's frontier does not give its root (edited)")
        return frontier

    def _publish(self, signed: Checkpoint) -> Checkpoint:
        """Write the checkpoint (write-once per size), the latest pointer and the public key."""
        self._writer.put_audit_object("public-key.json", public_key_document(self._key.public_key(), log=self._log),
                                      write_once=True)  # fmt: skip
        name = f"checkpoints/{signed.tree_size}.json"
        if not self._writer.put_audit_object(name, signed.to_json(), write_once=True):
            existing = parse_checkpoint(self._store.get(self._bucket, "audit/" + name), source="audit/" + name)
            if existing.root_hash != signed.root_hash or not existing.signature_valid(self._key.public_key()):
                problem = (
                    f"audit/{name} already holds root {existing.root_hash}; the log's first "
                    f"{signed.tree_size} events now hash to {signed.root_hash}: history was rewritten"
                )
                raise AuditLogInconsistent([problem])
            signed = existing  # an earlier attempt published it and did not record it
        latest = "audit/checkpoint.json"
        if self._store.stat(self._bucket, latest) is not None:
            current = parse_checkpoint(self._store.get(self._bucket, latest), source=latest)
            if current.tree_size > signed.tree_size:
                problem = (
                    f"{latest} covers {current.tree_size} events; the log holds only "
                    f"{signed.tree_size}: events were removed"
                )
                raise AuditLogInconsistent([problem])
        self._writer.put_audit_object("checkpoint.json", signed.to_json(), write_once=False)
        return signed

    # -- checking ----------------------------------------------------------------------------
    def published(self) -> list[tuple[str, Checkpoint]]:
        """The checkpoints in the public bucket, with their keys; an unreadable one is a problem."""
        keys = [*self._store.list_keys(self._bucket, CHECKPOINTS_PREFIX), "audit/checkpoint.json"]
        return [(key, parse_checkpoint(self._store.get(self._bucket, key), source=key))
                for key in keys if self._store.stat(self._bucket, key) is not None]  # fmt: skip

    def verify(self, kept: Sequence[tuple[str, Checkpoint]] = ()) -> AuditReport:
        """Check chain and head (AuditChainBroken), then checkpoints and rows; report every problem."""
        with read_scope(self._engine) as session:
            scan = scan_trail(session=session)
            rows = [(f"database checkpoint {r.tree_size}", parse_checkpoint(r.body.encode()))
                    for r in list_checkpoints(session=session)]  # fmt: skip
            counts, row_problems = check_rows(session=session, scan=scan)
        root = scan.tree.root()
        report = AuditReport(scan.count, root.hex(), 0, counts)
        report.problems.extend(self._check_public_key())
        sources: dict[Checkpoint, list[str]] = {}
        for source, signed in [*rows, *self.published(), *kept]:
            sources.setdefault(signed, []).append(source)
        report.checkpoints = len(sources)
        good, bad = 0, None
        public = self._key.public_key()
        for signed, names in sorted(sources.items(), key=lambda item: item[0].tree_size):
            where = f"checkpoint of {signed.tree_size} events signed {signed.timestamp} ({', '.join(names)})"
            if signed.log != self._log:
                report.problems.append(f"{where}: it is a checkpoint of log {signed.log!r}, not {self._log!r}")
            elif signed.key_id != key_id(public):
                report.problems.append(f"{where}: signed by key {signed.key_id}, not this log's key {key_id(public)}")
            elif not signed.signature_valid(public):
                report.problems.append(f"{where}: its signature does not verify (edited or forged)")
            elif signed.tree_size > scan.count:
                report.problems.append(f"{where}: the log now holds only {scan.count} events — "
                                       f"events #{scan.count + 1}..#{signed.tree_size} were removed")  # fmt: skip
            elif not verify_consistency(signed.tree_size, scan.count, bytes.fromhex(signed.root_hash), root,
                                        scan.tree.consistency_proof(signed.tree_size)):  # fmt: skip
                report.problems.append(f"{where}: the log's first {signed.tree_size} events no longer hash to its "
                                       f"root {signed.root_hash} — history was rewritten")  # fmt: skip
                bad = signed.tree_size if bad is None else min(bad, signed.tree_size)
            else:
                good = max(good, signed.tree_size)
        if bad is not None:
            span = f"between #{good + 1} and #{bad}" if good < bad else f"at or before #{bad}"
            report.problems.append(f"rewritten: an event {span} was changed and every later hash recomputed")
        report.problems.extend(row_problems)
        return report

    def _check_public_key(self) -> list[str]:
        key = "audit/public-key.json"
        if self._store.stat(self._bucket, key) is None:
            return []
        published = public_key_from_document(self._store.get(self._bucket, key))
        if key_id(published) != self.key_id:
            return [f"{key} holds key {key_id(published)}, not this log's signing key {self.key_id}"]
        return []
