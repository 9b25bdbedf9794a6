"""The process the crash-point harness kills: one act, SIGKILLed at its N-th step boundary.

    python -m tests.crash.child SCENARIO DOCUMENT N  (settings in GOVPUB_CRASH_* variables)

Step boundaries are counted from the moment the act starts: after each S3 write or delete that
returns (``put``, ``delete``), and after each database commit (SQLAlchemy's ``after_commit``). At
the N-th the process kills itself with SIGKILL — no cleanup, no finally blocks, as a power cut or
the OOM killer would. In push, a boundary also follows each webhook request that was answered
(sent, not yet recorded). Each boundary is appended to GOVPUB_CRASH_TRACE first, so the harness knows
where it died. An act with fewer than N boundaries ends normally (exit 0).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from disclosure.attributes import DisclosureAttribute
from disclosure.publication import Validity
from disclosure.review import Decision, DecisionRequest
from feeds.push import Pusher
from storage.db import make_engine
from storage.objectstore import S3ObjectStore
from tests.helpers import REVIEWERS


class Boundaries:
    """Counts step boundaries once armed; SIGKILL at the N-th."""

    def __init__(self, kill_at: int, trace: Path) -> None:
        self.kill_at, self.trace, self.seen, self.armed = kill_at, trace, 0, False

    def cross(self, name: str) -> None:
        if not self.armed:
            return
        self.seen += 1
        with self.trace.open("a", encoding="utf-8") as out:
            out.write(f"{self.seen} {name}\n")
        if self.seen == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


def instrument(store: S3ObjectStore, boundaries: Boundaries) -> None:
    """A boundary after every object write or delete that returned, and after every commit."""

    def after(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(bucket: str, key: str, *args: Any, **kwargs: Any) -> Any:
            result = method(bucket, key, *args, **kwargs)
            boundaries.cross(f"s3 {name} {key}")
            return result

        return wrapped

    store.put = after("put", store.put)  # type: ignore[method-assign]
    store.delete = after("delete", store.delete)  # type: ignore[method-assign]
    event.listen(Session, "after_commit", lambda _session: boundaries.cross("commit"))


def instrument_push(pusher: Pusher, boundaries: Boundaries) -> None:
    """A boundary after each webhook request that got its answer, before the attempt is recorded."""
    send = pusher._send

    async def sent(client: Any, claim: Any) -> Any:
        attempt = await send(client, claim)
        boundaries.cross(f"sent {claim.delivery_id}")
        return attempt

    pusher._send = sent  # type: ignore[method-assign]


def main() -> None:
    scenario, document, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    env = os.environ
    from tests.integration.test_publication import World

    engine = make_engine(env["GOVPUB_CRASH_DATABASE_URL"])
    store = S3ObjectStore.connect(env["GOVPUB_CRASH_S3"], access_key=env["GOVPUB_CRASH_ACCESS_KEY"],
                                  secret_key=env["GOVPUB_CRASH_SECRET_KEY"], secure=False, region=None)  # fmt: skip
    world = World(engine, store, env["GOVPUB_CRASH_PREFIX"], Path(env["GOVPUB_CRASH_TMP"]))
    boundaries = Boundaries(kill_at, Path(env["GOVPUB_CRASH_TRACE"]))
    instrument(store, boundaries)
    instrument_push(world.service.pusher, boundaries)
    boundaries.armed = True
    if scenario == "intake":
        world.submit(2, changes={"title": document})
    elif scenario == "decide":  # the last level's approval
        view = world.review.current(document)
        assert view is not None
        assert view.level is not None
        world.review.decide(document, DecisionRequest(Decision.APPROVE, REVIEWERS[view.level.name], "同意",
                                                      confirmed_attribute=DisclosureAttribute.PROACTIVE),
                            via="cli")  # fmt: skip
    elif scenario in ("publish", "correct"):  # a correction is the publication of a later version
        world.service.publish(document)
    elif scenario == "validity":
        world.service.set_validity(document, Validity.REPEALED, actor="office", note="被测试文件废止")
    elif scenario == "push":  # DOCUMENT: the delivery ids to send, comma-separated
        world.service.pusher.deliver_due(only_ids=set(document.split(",")))
    elif scenario == "withdraw":
        world.service.withdraw(document, actor="office", reason="撤回测试")
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")


if __name__ == "__main__":
    main()
