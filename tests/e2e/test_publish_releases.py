"""Approvals in quick succession on a real Prefect server, worker and deployments: each
``govpub.document.approved`` event starts publish-releases (one run at a time, the others queued),
and the runs publish every approved document exactly once, in batches."""

import copy
import json
import uuid
from datetime import UTC, datetime

from sqlmodel import Session, func, select

from govpub.samples import load_samples
from services.intake import Intake
from services.principal import operator
from storage.models import Publication
from tests.conftest import poll_until
from tests.e2e.test_review_flow import stack  # noqa: F401 - the real Prefect stack, for this module too
from tests.helpers import review_through

APPROVALS = 3


def publish_runs():
    """publish-releases runs that have finished, with their results."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["publish-releases"]))
        )
    return [run for run in runs if run.state is not None and run.state.is_final()]


def test_approvals_in_quick_succession_are_published_once_by_the_batch_flow(stack, tmp_path):  # noqa: F811
    from flows.runtime import govpub as flow_govpub
    from flows.runtime import review_service

    gov = flow_govpub()
    sample = load_samples()[2]
    for name, content in sample.files.items():
        (tmp_path / name).write_bytes(content)
    intake = Intake(engine=gov.app.engine, store=gov.app.store, private_bucket=gov.app.settings.store.private_bucket)
    docs = []
    for n in range(APPROVALS):
        submission = copy.deepcopy(sample.submission)
        submission["title"] = f"{submission['title']}（批量{n}-{uuid.uuid4().hex[:6]}）"
        docs.append(intake.submit(json.dumps(submission, ensure_ascii=False).encode(), beside=tmp_path,
                                  today=datetime.now(UTC).date()).document_id)  # fmt: skip
    for doc in docs:  # each approval is a Prefect event: publish-releases is triggered once per approval
        review_through(review_service(), doc, 1)

    def all_published():
        return all(gov.document(operator(), doc)["state"] == "published" for doc in docs)

    poll_until(all_published, timeout=180, what="every approved document published")
    with Session(gov.app.engine) as session:
        counts = dict(session.exec(select(Publication.document_id, func.count())
                                   .where(Publication.document_id.in_(docs))  # type: ignore[attr-defined]
                                   .group_by(Publication.document_id)).all())  # fmt: skip
    assert counts == dict.fromkeys(docs, 1)  # exactly once each
    public = gov.app.settings.store.public_bucket
    for doc in docs:
        [publication] = gov.document(operator(), doc)["publications"]
        assert gov.app.store.stat(public, publication["public_prefix"] + "metadata.json") is not None

    def published_by_runs():
        finished = publish_runs()
        assert all(run.state.is_completed() for run in finished), [run.state for run in finished]
        found = [d for run in finished for d, _, _ in run.state.result().published if d in docs]
        return found or None

    published = poll_until(published_by_runs, timeout=120, what="the publishing run finished")
    assert published  # the runs published them (the reconciler's tick may have taken one meanwhile) …
    assert len(published) == len(set(published))  # … and no document was published by two runs
