"""Waiting for a person inside a long-lived worker process.

A flow run that waits for a reviewer (or an application's next act) pauses the way Prefect's
``pause_flow_run`` does — the run goes to ``Paused`` with a key, a timeout and the typed input's
schema saved, so the Prefect UI shows the resume form and ``resume_flow_run`` validates input —
but the waiting itself is shared: one ``RunWatch`` per worker polls the server once per interval for
every run it hosts (``pause_flow_run`` polls once per run), and wakes a run the moment its state
leaves Paused. A run executed outside a govpub worker (a test calling the flow, a process worker)
polls its own state instead.

Race with the doors: a decision is recorded in the database first, then the run is resumed. A
decision recorded while the run was between two waits finds it not paused; the door leaves it, and
the run, having set Paused, reads the database once more (``moved_on``) before it waits — so a
decision is never left waiting behind a stale pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Generic, TypeVar
from uuid import UUID

import anyio
from prefect import State
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterState, FlowRunFilterStateType
from prefect.client.schemas.objects import StateType
from prefect.context import FlowRunContext
from prefect.exceptions import Abort, PrefectHTTPStatusError
from prefect.input.run_input import Keyset, RunInput, keyset_from_paused_state
from prefect.states import Cancelled, Paused, Running
from prefect.utilities.engine import propose_state

POLL_SECONDS = 0.2  # how often a worker asks which of its runs were resumed or cancelled
ALONE_POLL_SECONDS = 0.5  # a run outside a govpub worker polls its own state
_CHUNK = 200  # ids per query
T = TypeVar("T", bound=RunInput)


class Woken(enum.Enum):
    """Why a wait ended."""

    INPUT = "input"  # resumed with input (from a door or the Prefect UI's form)
    MOVED_ON = "moved_on"  # the record had moved on before the run waited: read it again
    TIMED_OUT = "timed_out"  # the wait's timeout passed


@dataclass(frozen=True)
class Wake(Generic[T]):
    """A wait's end and the input it brought, if any."""

    woken: Woken
    value: T | None = None


@dataclass
class RunWatch:
    """One poller for every run a worker hosts: wakes resumed waits, reports cancellations."""

    on_cancelling: Callable[[UUID], None]
    interval: float = POLL_SECONDS
    _waits: dict[UUID, asyncio.Future[StateType]] = field(default_factory=dict)
    _hosted: set[UUID] = field(default_factory=set)

    def host(self, flow_run_id: UUID) -> None:
        """Watch a run this worker executes (for cancellation)."""
        self._hosted.add(flow_run_id)

    def release(self, flow_run_id: UUID) -> None:
        """Stop watching a run (it ended here)."""
        self._hosted.discard(flow_run_id)
        future = self._waits.pop(flow_run_id, None)
        if future is not None and not future.done():
            future.cancel()

    async def wait(self, flow_run_id: UUID, seconds: float | None) -> StateType | None:
        """Until the run's state leaves Paused (its new state type) or the timeout passes (None).
        Call only once the run is Paused on the server."""
        future: asyncio.Future[StateType] = asyncio.get_running_loop().create_future()
        self._waits[flow_run_id] = future
        try:
            with anyio.move_on_after(seconds):
                return await future
            return None
        finally:
            if self._waits.get(flow_run_id) is future:
                del self._waits[flow_run_id]

    async def run(self, client: PrefectClient) -> None:
        """Poll forever (cancelled with the worker)."""
        while True:
            with contextlib.suppress(Exception):  # the server unreachable: the next tick asks again
                await self.tick(client)
            await anyio.sleep(self.interval)

    async def tick(self, client: PrefectClient) -> None:
        """One query per chunk of hosted runs for those not Paused: resumed waits and cancellations."""
        waits = dict(self._waits)  # only waits registered before the query starts (they were Paused)
        ids = sorted(set(waits) | self._hosted)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=chunk),
                    state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=[StateType.PAUSED])),
                ),
                limit=len(chunk),
            )
            for run in runs:
                kind = run.state.type if run.state else None
                future = waits.get(run.id)
                if future is not None and kind is not None:
                    if not future.done():
                        future.set_result(kind)  # a waiting run cancelled ends its wait itself
                elif kind is StateType.CANCELLING and run.id in self._hosted:
                    self.on_cancelling(run.id)


current_watch: ContextVar[RunWatch | None] = ContextVar("govpub_run_watch", default=None)


async def wait_for_input(
    wait_for: type[T] | None, *, key: str, seconds: float | None, moved_on: Callable[[], Awaitable[bool]]
) -> Wake[T]:
    """Pause the current flow run under ``key`` until it is resumed (with a ``wait_for`` input, if
    given), the record has moved on, or ``seconds`` pass (None: no timeout). The run is
    Running again on return."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("wait_for_input is called inside a flow run")
    flow_run_id = context.flow_run.id
    paused: State[Any] = Paused(timeout_seconds=int(seconds) if seconds else None, reschedule=False, pause_key=key)
    keyset = keyset_from_paused_state(paused)
    if wait_for is not None:
        paused.state_details.run_input_keyset = keyset  # type: ignore[assignment] # Prefect's own code does this
    async with get_client() as client:
        state = await propose_state(client=client, state=paused, flow_run_id=flow_run_id)
        if state.is_running():  # this key fired before (the run was driven again): its input stands
            return Wake(Woken.INPUT, await _load(wait_for, keyset))
        if not state.is_paused():
            raise RuntimeError(f"the flow run could not wait: the server answered {state.type.value}")
        if wait_for is not None:
            await _save_schema(wait_for, keyset)
            given = await _load(wait_for, keyset)
            if given is not None:  # answered before this run was driven again (its host died after the resume)
                await _run_again(client, flow_run_id, "its input was given before")
                return Wake(Woken.INPUT, given)
        if await moved_on():
            await _run_again(client, flow_run_id, "the record moved on before the wait")
            return Wake(Woken.MOVED_ON)
        return await _wait(client, flow_run_id, wait_for, keyset, seconds)


async def _wait(
    client: PrefectClient, flow_run_id: UUID, wait_for: type[T] | None, keyset: Keyset, seconds: float | None
) -> Wake[T]:
    """The wait itself, once the run is Paused: through the worker's watch, or polling alone."""
    watch = current_watch.get()
    kind = await (watch.wait(flow_run_id, seconds) if watch else _poll_alone(client, flow_run_id, seconds))
    if kind is None:
        await _run_again(client, flow_run_id, "the wait's timeout passed")
        return Wake(Woken.TIMED_OUT)
    if kind is StateType.RUNNING:
        return Wake(Woken.INPUT, await _load(wait_for, keyset))
    if kind is StateType.CANCELLING:
        await client.set_flow_run_state(flow_run_id, Cancelled(message="cancelled while it waited"), force=True)
    # cancelled, ended or handed to another worker by someone else: stop here, leave the state as it is
    raise Abort(f"the flow run left its wait: {kind.value}")


async def _save_schema(wait_for: type[T], keyset: Keyset) -> None:
    """Save the input's schema (the UI's form, the server's validation); kept if a run driven again
    from the top finds it saved by its earlier host."""
    try:
        await wait_for.asave(keyset)
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code != HTTPStatus.CONFLICT:
            raise


async def _load(wait_for: type[T] | None, keyset: Keyset) -> T | None:
    """The input the run was resumed with; None when it was resumed without (forced Running)."""
    if wait_for is None:
        return None
    try:
        return await wait_for.aload(keyset)
    except Exception:  # noqa: BLE001 - no input stored under the key: resumed by a state change
        return None


async def _run_again(client: PrefectClient, flow_run_id: UUID, message: str) -> None:
    """Leave Paused without input (the run reads the record again)."""
    await client.set_flow_run_state(flow_run_id, Running(message=message), force=True)


async def _poll_alone(client: PrefectClient, flow_run_id: UUID, seconds: float | None) -> StateType | None:
    """The wait of a run no govpub worker hosts: poll its own state."""
    with anyio.move_on_after(seconds):
        while True:
            await anyio.sleep(ALONE_POLL_SECONDS)
            run = await client.read_flow_run(flow_run_id)
            if run.state is not None and not run.state.is_paused():
                return run.state.type
    return None
