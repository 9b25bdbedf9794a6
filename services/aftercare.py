"""After publication: withdrawals (撤回) and validity changes (失效 / 废止 / 已修改), by the disclosure office."""

from __future__ import annotations

import json

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from disclosure.attributes import Role
from disclosure.errors import InvalidInput, RuleViolation, Violation
from disclosure.publication import FeedAction, Validity, check_withdrawal_reason
from disclosure.states import DocumentState, check_transition
from disclosure.text import public_text_problem
from services.catalogue import remove_from_index
from services.feed_log import FeedLog
from services.public_records import PublicRecords, last_publication
from services.review_service import EventSink
from storage.db import read_scope, session_scope
from storage.models import AuditEvent, Document, FeedChannel, FeedItem, aware, utcnow
from storage.objectstore import ObjectStore
from storage.public import PublicWriter
from storage.repository.agencies import get_user, user_roles
from storage.repository.audit import append_event
from storage.repository.documents import get_document


def require_office(session: Session, actor: str) -> None:
    """Only an active member of the disclosure office may act."""
    user = get_user(session=session, username=actor)
    if not user.active or (Role.DISCLOSURE_OFFICE, "") not in user_roles(session=session, user=user):
        raise RuleViolation(f"{actor!r} is not in the disclosure office")


class Aftercare:
    """Withdrawals and validity changes: recorded, told to the feeds and channels."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: ObjectStore,
        writer: PublicWriter,
        records: PublicRecords,
        log: FeedLog,
        events: EventSink,
    ) -> None:
        self._engine = engine
        self._store = store
        self._writer = writer
        self._records = records
        self._log = log
        self._events = events

    def withdraw(self, document_id: str, *, actor: str, reason: str) -> str | None:
        """Take a published document down with a public reason; feeds carry a tombstone.

        A policy's published interpretations follow it; an interpretation's policy loses the link.
        """
        check_withdrawal_reason(reason)
        deliveries: set[str] = set()
        with session_scope(self._engine) as session:
            require_office(session, actor)
            get_document(session=session, document_id=document_id)
            document = session.exec(
                select(Document)
                .where(Document.id == document_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one()
            last = last_publication(session, document_id)
            if last is None:
                raise RuleViolation(f"{document_id} was never published: nothing to withdraw")
            before = {"state": document.state}
            check_transition(DocumentState(document.state), DocumentState.WITHDRAWN)
            document.state, document.updated_at = DocumentState.WITHDRAWN.value, utcnow()
            session.add(document)
            remove_from_index(session, document_id)  # out of the catalogue and its search
            append_event(session=session, actor=actor, action="document.withdrawn", entity_type="document",
                         entity_id=document_id, before=before,
                         after={"state": document.state, "index_number": last.index_number}, reason=reason)  # fmt: skip
            stone = {
                "id": last.record["entry_id"], "action": FeedAction.WITHDRAW.value, "title": document.title,
                "reason": reason, "updated": utcnow().isoformat(),
                "link": self._records.url(f"documents/{last.index_number}/withdrawn.json"),
                "meta": {"index_number": last.index_number, "doc_number": document.doc_number,
                         "withdrawal_reason": reason},
            }  # fmt: skip
            carried = set(session.exec(select(FeedItem.channel).where(FeedItem.document_id == document_id)))
            channels = list(session.exec(select(FeedChannel).where(col(FeedChannel.name).in_(carried))
                                         .with_for_update().execution_options(populate_existing=True)))  # fmt: skip
            touched = self._log.append(
                session,
                document,
                last.version,
                FeedAction.WITHDRAW,
                stone,
                deliveries=deliveries,
                event="govpub.document.withdrawn",
                channels=channels,
            )
            if document.interprets_id:
                touched |= self._log.refresh_related(session, document.interprets_id, deliveries)
            followers = [i.id for i in session.exec(select(Document).where(Document.interprets_id == document_id))
                         if DocumentState(i.state) is DocumentState.PUBLISHED]  # fmt: skip
            index_number, version, title = last.index_number, last.version, document.title
        notice = {"index_number": index_number, "title": title, "withdrawn": True, "reason": reason,
                  "withdrawn_at": utcnow().isoformat()}  # fmt: skip
        self._writer.withdraw_copy(index_number, json.dumps(notice, ensure_ascii=False).encode())
        with read_scope(self._engine) as session:  # rendered in a read, written after it
            archives = [page for channel in session.exec(select(FeedChannel).where(col(FeedChannel.name).in_(touched)))
                        for page in self._log.builder.archives_with(session, channel, document_id)]  # fmt: skip
        self._log.builder.write(archives)
        self._events.emit("govpub.document.withdrawn", document_id=document_id, version=version,
                          payload={"index_number": index_number, "reason": reason})  # fmt: skip
        left = self._log.after_change(touched, deliveries)
        for interpretation in followers:  # an interpretation does not outlive its policy
            left = self.withdraw(interpretation, actor=actor, reason=f"随所解读的政策撤回：{reason}") or left
        return left

    def set_validity(
        self, document_id: str, validity: Validity, *, actor: str, note: str, amended_by: str | None = None
    ) -> str | None:
        """Record a validity change of a published document and show it in the feeds.

        ``amended_by`` names the published govpub document that amends or repeals it: the entry links it.
        """
        if not note.strip():
            raise RuleViolation("say why the validity changed (e.g. the repealing document's 发文字号)")
        if (problem := public_text_problem(note)) is not None:
            raise InvalidInput([Violation("--note", problem)])
        deliveries: set[str] = set()
        with session_scope(self._engine) as session:
            require_office(session, actor)
            document = get_document(session=session, document_id=document_id)
            last = last_publication(session, document_id)
            if last is None or DocumentState(document.state) is DocumentState.WITHDRAWN:
                raise RuleViolation(f"{document_id} is not public: its validity is not shown anywhere")
            link = None
            if amended_by is not None:
                link = self._records.link_to(session, amended_by, [])
                if link is None or amended_by == document_id:
                    raise RuleViolation(f"--amended-by {amended_by!r} is not another published document")
                note = f"{note}（见{link['title']}，索引号 {link['index_number']}）"
            before = {"validity": document.validity}
            document.validity, document.validity_note = validity.value, note[:500]
            document.status_due_at = utcnow()  # status.json is written after the commit
            session.add(document)
            append_event(
                session=session,
                actor=actor,
                action="document.validity",
                entity_type="document",
                entity_id=document_id,
                before=before,
                after={"validity": validity.value},
                reason=note,
            )
            entry = self._records.entry(session, document, self._records.current_record(session, last),
                                        FeedAction.VALIDITY)  # fmt: skip
            entry["meta"]["validity"] = f"{validity.label}（{note}）"
            if link is not None:
                entry["related"].append({"url": link["url"], "title": f"修改或废止文件：{link['title']}"})
                entry["meta"]["amended_by"] = link["url"]
            touched = self._log.append(session, document, last.version, FeedAction.VALIDITY, entry,
                                       deliveries=deliveries, event="govpub.document.corrected")  # fmt: skip
            version = last.version
        self.write_due_status(document_id)  # after the commit (no S3 request inside it); re-driven if cut off
        self._events.emit("govpub.document.corrected", document_id=document_id, version=version,
                          payload={"validity": validity.value})  # fmt: skip
        return self._log.after_change(touched, deliveries)

    def write_due_status(self, document_id: str) -> bool:
        """Write the status record of a document whose status.json is behind its record; True: written.

        The mark is cleared only if no later change set it again while this write went on.
        """
        with read_scope(self._engine) as session:
            document = get_document(session=session, document_id=document_id)
            due = document.status_due_at
            if due is None:
                return False
            status = self._log.clear_status(session, document)
        self._writer.write_cleared(status)  # the same bytes already there: left alone
        with session_scope(self._engine) as session:
            session.exec(update(Document).where(col(Document.id) == document_id, col(Document.status_due_at) == due)
                         .values(status_due_at=None))  # fmt: skip
        return True

    def leftover_status_records(self) -> list[str]:
        """Documents whose status.json a validity change left behind (cut off after its commit): written now."""
        with read_scope(self._engine) as session:
            due = list(session.exec(select(Document.id).where(col(Document.status_due_at).is_not(None))))
        return [document_id for document_id in due if self.write_due_status(document_id)]

    def leftover_withdrawn_copies(self) -> list[str]:
        """Withdrawn documents whose withdrawal was interrupted — a public copy still there, or the notice
        not yet written (a crash after the last delete): finish it, the notice as the withdrawal wrote it."""
        cleaned = []
        with read_scope(self._engine) as session:
            withdrawn = list(session.exec(select(Document).where(
                Document.state == DocumentState.WITHDRAWN.value, col(Document.index_number).is_not(None))))  # fmt: skip
        for document in withdrawn:
            prefix = f"documents/{document.index_number}/"
            keys = set(self._store.list_keys(self._writer.bucket, prefix))
            if keys == {prefix + "withdrawn.json"}:
                continue
            with read_scope(self._engine) as session:
                event = session.exec(select(AuditEvent).where(
                    AuditEvent.entity_id == document.id, AuditEvent.action == "document.withdrawn",
                ).order_by(col(AuditEvent.sequence).desc())).first()  # fmt: skip
            notice = {"index_number": document.index_number, "title": document.title, "withdrawn": True,
                      "reason": (event.reason or "") if event else "",
                      "withdrawn_at": aware(event.occurred_at).isoformat() if event else None}  # fmt: skip
            self._writer.withdraw_copy(document.index_number or "", json.dumps(notice, ensure_ascii=False).encode())
            cleaned.append(document.id)
        return cleaned
