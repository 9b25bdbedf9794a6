"""The embedded Prefect server's SQLite driver fix (govpub/prefect_server.py), on a real SQLite file.

What the stall comes down to, reproduced: a garbage ``aiosqlite.Cursor`` whose statement is still
open is freed on the event loop's thread while its connection's own thread is inside
``sqlite3_step`` (in the server: waiting up to Prefect's 60 s busy timeout for the write lock; here:
a query that runs until it is interrupted). Freeing the cursor resets its statement, which needs the
connection's mutex, so the event loop waits for that step to end. With the fix the sqlite3 cursor is
handed to the connection's own thread and the loop goes on at once.

Which came first is read from a second thread: it waits (at most 3 s) for the loop to have freed the
cursor, then interrupts the query. Freed first: the loop was not blocked; the wait ran out: it was.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import aiosqlite
import pytest

from govpub.prefect_server import hand_cursors_to_their_thread

ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


async def _freeing_blocks_the_loop(path: Path) -> bool:
    """Free a cursor with an open statement while its connection's thread is in a step; True: the loop waited."""
    async with aiosqlite.connect(path, isolation_level=None, check_same_thread=False) as connection:  # as SQLAlchemy
        await connection.execute("PRAGMA journal_mode = WAL")  # as Prefect's server
        await connection.execute("CREATE TABLE t (x)")
        await connection.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(10)])
        cursor = await connection.execute("SELECT x FROM t")
        await cursor.fetchone()  # its statement stays open, nine rows to go: a request's cursor, abandoned
        stepping, freed, outcome = threading.Event(), threading.Event(), {}
        connection._conn.set_trace_callback(lambda sql: sql.startswith("WITH") and stepping.set())

        def interrupt() -> None:
            outcome["freed first"] = freed.wait(3)
            connection._conn.interrupt()  # ends the step (thread-safe, takes no mutex)

        interrupter = threading.Thread(target=interrupt)
        query = asyncio.ensure_future(connection.execute(ENDLESS))
        assert await asyncio.to_thread(stepping.wait, 30)  # the step runs in the connection's thread, holding its mutex
        interrupter.start()
        del cursor  # the last reference: freed here, on the loop's thread
        freed.set()
        with pytest.raises(aiosqlite.OperationalError, match="interrupted"):
            await query
        interrupter.join()
        return not outcome["freed first"]


@pytest.fixture
def restore_cursor_finaliser():
    before = aiosqlite.Cursor.__dict__.get("__del__")
    yield
    if before is not None:
        aiosqlite.Cursor.__del__ = before  # type: ignore[attr-defined]
    elif "__del__" in aiosqlite.Cursor.__dict__:
        del aiosqlite.Cursor.__del__  # type: ignore[attr-defined]


def test_a_garbage_cursor_waits_for_its_connections_step_and_the_fix_does_not(tmp_path, restore_cursor_finaliser):
    if "__del__" in aiosqlite.Cursor.__dict__:
        del aiosqlite.Cursor.__del__  # type: ignore[attr-defined]
    assert asyncio.run(_freeing_blocks_the_loop(tmp_path / "without.db")) is True  # the stall's mechanism
    hand_cursors_to_their_thread()
    assert asyncio.run(_freeing_blocks_the_loop(tmp_path / "with.db")) is False
