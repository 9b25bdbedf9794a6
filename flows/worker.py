"""The govpub worker: a Prefect worker type that executes flow runs inside its own long-lived process.

Prefect's process worker starts a new interpreter for every run and every resume (2–5 s each
here). This worker (``type = "govpub"``, on ``prefect.workers.base.BaseWorker``) takes scheduled runs
of the pool's deployments like any worker — Pending is the claim, so several workers on several
machines can serve one pool and each run executes once — and runs each with Prefect's own flow
engine as a task in its event loop: async flows run in the loop (their blocking calls go to threads),
sync flows in a thread. Runs keep their deployment, triggers, logs and states in the Prefect UI.

A review waits with ``flows.waiting.wait_for_input`` (Paused, with the review window as timeout), and
this worker's ``RunWatch`` wakes it when it is resumed; one query per interval covers every hosted
run. Cancelling a run in the UI (Cancelling) cancels its task here and marks it Cancelled.
Stopping the worker (SIGINT/SIGTERM) hands its runs back: each is set Scheduled, which clears its
pause, and another worker (or this one, restarted) takes it and drives it again from the database's
record. A worker that dies without stopping leaves its runs Paused/Running under its name; the
reconciler sees the name missing from the pool's live workers and reschedules them
(``flows.hosts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from uuid import UUID

import anyio
import anyio.to_thread
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import Abort
from prefect.flow_engine import run_flow, run_flow_async
from prefect.flows import Flow, load_flow_from_entrypoint
from prefect.states import Cancelled, Crashed, Scheduled
from prefect.workers.base import BaseJobConfiguration, BaseVariables, BaseWorker, BaseWorkerResult

from flows.waiting import RunWatch, current_watch

WORKER_TYPE = "govpub"
BLOCKING_THREADS = 32
HANDBACK_GRACE_SECONDS = 20.0  # how long a stopping worker waits for its runs to unwind


class GovpubJobConfiguration(BaseJobConfiguration):
    """Nothing to configure: the run executes in the worker's process, with its settings."""


class GovpubVariables(BaseVariables):
    """No job variables beyond Prefect's base ones."""


class GovpubWorkerResult(BaseWorkerResult):
    """The run's outcome as the worker reports it (its state is on the server)."""


class GovpubWorker(BaseWorker[GovpubJobConfiguration, GovpubVariables, GovpubWorkerResult]):
    """Executes the pool's flow runs in this process (see the module docstring)."""

    type = WORKER_TYPE
    job_configuration = GovpubJobConfiguration
    job_configuration_variables = GovpubVariables
    _description = "Runs govpub's flow runs inside one long-lived process: a resumed review needs no new interpreter."

    def __init__(
        self, work_pool_name: str, *, name: str | None = None, limit: int | None = None,
        poll_seconds: float | None = None, create_pool_if_not_found: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(work_pool_name, name=name or f"govpub-{socket.gethostname()}-{os.getpid()}", limit=limit,
                         create_pool_if_not_found=create_pool_if_not_found)  # fmt: skip
        self._watch = RunWatch(on_cancelling=self._cancel_hosted)
        if poll_seconds is not None:
            self._watch.interval = poll_seconds
        self._scopes: dict[UUID, anyio.CancelScope] = {}
        self._flows: dict[str, Flow[..., Any]] = {}
        self._handing_back = False
        self._idle = anyio.Event()
        self._watch_scope = anyio.CancelScope()

    @property
    def hosted(self) -> list[UUID]:
        """The runs executing here now."""
        return list(self._scopes)

    async def setup(self) -> None:
        """Prefect's setup, then the shared watch (its context var reaches every run started after)."""
        await super().setup()
        current_watch.set(self._watch)
        assert self._runs_task_group is not None  # noqa: S101 - set by BaseWorker.setup
        self._runs_task_group.start_soon(self._watching)

    async def _watching(self) -> None:
        with self._watch_scope:
            await self._watch.run(self.client)

    async def run(
        self,
        flow_run: FlowRun,
        configuration: GovpubJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> GovpubWorkerResult:
        """Execute the run here; returns when it ends (or is cancelled, or handed back)."""
        del configuration
        flow = await self._flow_for(flow_run)
        parameters = dict(flow_run.parameters or {})
        self._watch.host(flow_run.id)
        scope = anyio.CancelScope()
        self._scopes[flow_run.id] = scope
        self._idle = anyio.Event() if self._idle.is_set() else self._idle
        if task_status is not None:
            task_status.started(os.getpid())
        try:
            with scope, contextlib.suppress(Abort):  # Abort: the run left its wait (cancelled, handed over)
                if flow.isasync:
                    await run_flow_async(flow, flow_run=flow_run, parameters=parameters, return_type="state")
                else:  # a sync flow (the reconciler) must not block the loop the waiting runs share
                    call = partial(run_flow, flow, flow_run=flow_run, parameters=parameters, return_type="state")
                    await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
            if scope.cancelled_caught and not self._handing_back:
                with anyio.CancelScope(shield=True):
                    await self.client.set_flow_run_state(
                        flow_run.id, Cancelled(message="cancelled while the govpub worker ran it"), force=True
                    )
        finally:
            self._scopes.pop(flow_run.id, None)
            self._watch.release(flow_run.id)
            if not self._scopes:
                self._idle.set()
        return GovpubWorkerResult(identifier=str(flow_run.id), status_code=0)

    async def _flow_for(self, flow_run: FlowRun) -> Flow[..., Any]:
        """The deployment's flow, imported once per entrypoint."""
        if flow_run.deployment_id is None:
            raise RuntimeError(f"flow run {flow_run.id} has no deployment: the govpub worker runs deployments only")
        deployment = await self.client.read_deployment(flow_run.deployment_id)
        entrypoint = deployment.entrypoint or ""
        if entrypoint not in self._flows:
            self._flows[entrypoint] = load_flow_from_entrypoint(entrypoint)
        return self._flows[entrypoint]

    def _cancel_hosted(self, flow_run_id: UUID) -> None:
        """Cancelling in the UI: stop the run's task (``run`` then marks it Cancelled)."""
        scope = self._scopes.get(flow_run_id)
        if scope is not None:
            scope.cancel()

    async def kill_infrastructure(
        self, infrastructure_pid: str, configuration: GovpubJobConfiguration, grace_seconds: int = 30
    ) -> None:
        """A pending run cancelled before it started: nothing runs yet (Prefect marks it Cancelled)."""
        del infrastructure_pid, configuration, grace_seconds

    async def teardown(self, *exc_info: object) -> None:
        """Hand the hosted runs back (Scheduled: another worker drives them again), then Prefect's teardown."""
        with anyio.CancelScope(shield=True):
            hosted = self.hosted
            self._handing_back = True
            for scope in list(self._scopes.values()):
                scope.cancel()
            with anyio.move_on_after(HANDBACK_GRACE_SECONDS):
                if self._scopes:
                    await self._idle.wait()
            for flow_run_id in hosted:  # Crashed, then Scheduled through the rules: the pause keys are cleared
                try:
                    why = f"handed back by {self.name}, which stopped"
                    await self.client.set_flow_run_state(flow_run_id, Crashed(message=why), force=True)
                    await self.client.set_flow_run_state(flow_run_id, Scheduled(message=why))
                except Exception:
                    self._logger.warning("could not hand back flow run %s", flow_run_id, exc_info=True)
            self._watch_scope.cancel()
        await super().teardown(*exc_info)


def serve_pool(work_pool: str, *, limit: int | None, poll_seconds: float) -> None:
    """Run a govpub worker on the pool until SIGINT/SIGTERM (``govpub worker``); Prefect's settings
    (API, query and heartbeat intervals) come from the environment."""

    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        # the flows' blocking calls (database, S3, screening in a child process) run in threads: enough of them
        # that a few long screenings do not hold up every other run's reads (the default is cores + 4)
        loop.set_default_executor(ThreadPoolExecutor(max_workers=BLOCKING_THREADS, thread_name_prefix="govpub-flow"))
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        worker = GovpubWorker(work_pool, limit=limit, poll_seconds=poll_seconds, create_pool_if_not_found=False)
        async with anyio.create_task_group() as group:

            async def stop_on_signal() -> None:
                await stopping.wait()
                group.cancel_scope.cancel()

            group.start_soon(stop_on_signal)
            group.start_soon(worker.start)

    asyncio.run(main())


def ensure_pool(api_url: str, name: str) -> None:
    """The work pool of type govpub (a pool of another type, from an older install, is replaced: the
    deployments are applied to it again right after)."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.client.schemas.actions import WorkPoolCreate  # noqa: PLC0415
    from prefect.exceptions import ObjectNotFound  # noqa: PLC0415
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    template = GovpubWorker.get_default_base_job_template()
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            pool = None
        if pool is not None and pool.type == WORKER_TYPE:
            return
        if pool is not None:
            client.delete_work_pool(name)
        client.create_work_pool(WorkPoolCreate(name=name, type=WORKER_TYPE, base_job_template=template))
