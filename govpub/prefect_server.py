"""The embedded Prefect server's process: ``prefect server start``, with one fix to its SQLite driver.

    python -m govpub.prefect_server --host 127.0.0.1 --port N   (what govpub.stack starts)

Measured here (issue 10): on its SQLite database the Prefect server (3.8.8, SQLAlchemy 2.0 over
aiosqlite) stopped answering for 60 s in 3 of 5 benchmark runs. gdb on the stalled process showed
its main thread — the event loop — in the garbage collector, freeing an ``aiosqlite.Cursor`` left in
an exception's traceback: ``cursor_dealloc`` → ``stmt_reset`` → ``sqlite3_reset`` waits for the
connection's mutex. That connection, back in the pool, was meanwhile running another statement in
its aiosqlite thread, and that statement waited (``busy_timeout``, 60 s in Prefect) for the write
lock held by a transaction that only the blocked event loop could commit. Nothing moves until the
busy timeout fails the statement ("database is locked"), and the failures leave more such cursors.

The fix: an ``aiosqlite.Cursor`` that is garbage hands its sqlite3 cursor to its connection's own
thread, which closes it after whatever runs there now; the main thread never waits for a
connection's mutex. Only this process is patched; a Prefect server on PostgreSQL does not need it.
"""

from __future__ import annotations

import sys


def _hand_to_its_thread(cursor: object) -> None:
    """``aiosqlite.Cursor.__del__``: close the sqlite3 cursor in its connection's thread, in turn."""
    raw = cursor.__dict__.pop("_cursor", None)
    connection = cursor.__dict__.get("_conn")
    if raw is None or connection is None or not getattr(connection, "_running", False):
        return  # the connection is closing: its thread finalises what is left, nothing waits
    connection._tx.put_nowait((None, raw.close))  # noqa: SLF001 - aiosqlite's queue to that thread


def hand_cursors_to_their_thread() -> None:
    """Install the finaliser (idempotent)."""
    import aiosqlite  # noqa: PLC0415 - only the Prefect server's process imports it

    aiosqlite.Cursor.__del__ = _hand_to_its_thread  # type: ignore[attr-defined]


def main() -> None:
    """Prefect's own command line, ``prefect server start`` with these arguments, in this process."""
    hand_cursors_to_their_thread()
    from prefect.cli import app  # noqa: PLC0415

    sys.argv = ["prefect", "server", "start", *sys.argv[1:]]
    app()


if __name__ == "__main__":
    main()
