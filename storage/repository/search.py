"""The catalogue's search index: bigram tokens, the FTS5 table (SQLite) and tsvectors (PostgreSQL).

Text is normalised once (NFKC, casefold) and stored so. It is cut into runs of word characters:
ASCII letters and digits form words; every other run (Chinese above all) is written as its
overlapping character bigrams followed by its last character alone — 政务公开 → 政务 务公 公开 开.
A query term's run is then the phrase of its bigrams (a single character: a prefix, which finds it
as the first character of a bigram or as a run's last character; an ASCII word: a prefix). Inside
a run the bigram phrase matches exactly where the term occurs, and a phrase cannot span two runs
(the one-character token between them is no bigram). Other terms (several runs, or anything
PostgreSQL's position-less tsvectors cannot decide) are checked against the stored text, so a
result always contains every term as typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlmodel import Session

_RUN = re.compile(r"[0-9a-z]+|[^\W_\x00-\x7f]+")
_MAX_TERMS = 8
_MAX_TERM_CHARS = 64
FEW_MATCHES = 1000  # PostgreSQL: fewer of a tier's rows are sorted; more are walked in order


def normalise(value: str) -> str:
    """The form text is stored, indexed and searched in (full-width folded, case folded)."""
    return unicodedata.normalize("NFKC", value).casefold()


def tokens(normalised: str) -> list[str]:
    """The index tokens of normalised text: ASCII words; bigrams plus last character of other runs."""
    out: list[str] = []
    for run in _RUN.findall(normalised):
        if run.isascii() or len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
            out.append(run[-1])
    return out


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: normalised terms (whitespace-separated in the input), each a list of runs."""

    terms: tuple[str, ...]
    runs: tuple[tuple[str, ...], ...]

    @property
    def empty(self) -> bool:
        """Nothing searchable was typed (only punctuation, say)."""
        return not self.terms


def parse_query(raw: str) -> Query:
    """Terms of a query as typed; a term without any word character is dropped."""
    terms: list[str] = []
    runs: list[tuple[str, ...]] = []
    for term in normalise(raw).split()[:_MAX_TERMS]:
        found = tuple(_RUN.findall(term[:_MAX_TERM_CHARS]))
        if found:
            terms.append(term[:_MAX_TERM_CHARS])
            runs.append(found)
    return Query(tuple(terms), tuple(runs))


def _fts_run(run: str) -> str:
    if run.isascii() or len(run) == 1:
        return f'"{run}"*'
    return '"' + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + '"'


def _ts_run(run: str) -> str:
    if run.isascii() or len(run) == 1:
        return f"'{run}':*"
    return " & ".join(f"'{run[i : i + 2]}'" for i in range(len(run) - 1))


def _exact(term: str, runs: tuple[str, ...], dialect: str) -> bool:
    """Whether the index alone decides the term (else the stored text is checked)."""
    if len(runs) != 1 or runs[0] != term or runs[0].isascii():
        return False
    return dialect == "sqlite" or len(term) <= 2  # noqa: PLR2004 - one bigram, or one character


# -- writing the index ------------------------------------------------------------------------
def write_index(session: Session | Connection, *, row_id: int, title_text: str, body_text: str) -> None:
    """Index a catalogue_text row's stored texts (after it was inserted or its texts changed)."""
    title, body = tokens(title_text), tokens(body_text)
    if _dialect(session) == "sqlite":
        session.execute(text("INSERT INTO catalogue_fts(rowid, title, body) VALUES (:id, :t, :b)"),
                        {"id": row_id, "t": " ".join(title), "b": " ".join(body)})  # fmt: skip
    else:
        session.execute(
            text("UPDATE catalogue_text SET title_grams = array_to_tsvector(CAST(:t AS text[])), "
                 "grams = array_to_tsvector(CAST(:g AS text[])) WHERE id = :id"),
            {"id": row_id, "t": sorted(set(title)), "g": sorted(set(title) | set(body))},
        )  # fmt: skip


def unindex(session: Session | Connection, *, row_id: int, title_text: str, body_text: str) -> None:
    """Remove a row's tokens (the stored texts it was indexed with), before it changes or goes."""
    if _dialect(session) == "sqlite":  # a contentless FTS5 table deletes by the values it indexed
        session.execute(
            text("INSERT INTO catalogue_fts(catalogue_fts, rowid, title, body) VALUES ('delete', :id, :t, :b)"),
            {"id": row_id, "t": " ".join(tokens(title_text)), "b": " ".join(tokens(body_text))},
        )
    # PostgreSQL: the tsvectors are columns of the row itself


def clear_index(session: Session | Connection) -> None:
    """Drop every token (before a full rebuild)."""
    if _dialect(session) == "sqlite":
        session.execute(text("INSERT INTO catalogue_fts(catalogue_fts) VALUES ('delete-all')"))


def _dialect(session: Session | Connection) -> str:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name


# -- reading ----------------------------------------------------------------------------------
def reader(engine: Engine) -> Engine:
    """An engine for the catalogue's read-only queries.

    On SQLite, govpub's engine opens every transaction with BEGIN IMMEDIATE (the write lock), which
    queues concurrent readers one behind the other (measured: p99 1.6 s at 8 concurrent requests);
    this one reads in autocommit (WAL: each statement its own snapshot) and refuses writes.
    """
    if engine.dialect.name != "sqlite":
        return engine
    read = create_engine(engine.url, connect_args={"timeout": 30})

    @event.listens_for(read, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:  # noqa: ANN401
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return read


@dataclass(frozen=True, slots=True)
class Filters:
    """Catalogue filters; None: any."""

    category: str | None = None
    agency: str | None = None
    year: int | None = None
    kind: str | None = None
    validity: str | None = None


def _where_filters(filters: Filters, params: dict[str, object]) -> list[str]:
    clauses = ["d.state <> 'withdrawn'"]
    for name in ("category", "agency", "year", "kind"):
        value = getattr(filters, name)
        if value is not None:
            clauses.append(f"c.{name} = :f_{name}")
            params[f"f_{name}"] = value
    if filters.validity is not None:
        clauses.append("d.validity = :f_validity")
        params["f_validity"] = filters.validity
    return clauses


def list_ids(session: Session, *, filters: Filters, before: int | None, limit: int) -> list[int]:
    """Ids of public catalogue rows, newest first, below ``before``."""
    params: dict[str, object] = {"limit": limit}
    clauses = _where_filters(filters, params)
    if before is not None:
        clauses.append("c.id < :before")
        params["before"] = before
    sql = (f"SELECT c.id FROM catalogue_text c JOIN document d ON d.id = c.document_id "  # noqa: S608 - fixed fragments
           f"WHERE {' AND '.join(clauses)} ORDER BY c.id DESC LIMIT :limit")  # fmt: skip
    return [int(row[0]) for row in session.execute(text(sql), params)]


def search_ids(
    session: Session, query: Query, *, title_tier: bool, filters: Filters, before: int | None, limit: int,
    few: int = FEW_MATCHES,
) -> list[int]:
    """Ids of public rows matching every term, newest first, below ``before``.

    ``title_tier``: every term is in the title; else: every term is in the title or body, but not
    every term in the title (the rows of the other tier).

    PostgreSQL decides the plan from what the index finds, not from the planner's estimates: it
    reads up to ``few`` of the tier's rows in no order through the GIN index; fewer are all there
    are, and are sorted here. Else the rows are dense enough to walk the primary key down until the
    page is full (at most about ``limit`` × rows / ``few`` rows). Left to itself the planner walks
    the key down for a word it believes common (解读: in no title, 0.25 s reading the whole table
    at 100,000 items) and sorts every match of one it believes rare (a phrase of bigrams).
    """
    params: dict[str, object] = {"limit": limit}
    source, where, key = _tier(session, query, title_tier=title_tier, filters=filters, before=before, params=params)
    ordered = f"SELECT c.id FROM {source} WHERE {where} ORDER BY {key} DESC LIMIT :limit"  # noqa: S608 - fixed fragments
    if _dialect(session) == "sqlite":
        return [int(row[0]) for row in session.execute(text(ordered), params)]
    found = _unordered(session, source, where, params, limit=few)
    if len(found) < few:
        return sorted(found, reverse=True)[:limit]
    with _planner(session, enable_bitmapscan="off", enable_seqscan="off"):
        return [int(row[0]) for row in session.execute(text(ordered), params)]


def count_ids(session: Session, query: Query, *, title_tier: bool, filters: Filters, limit: int) -> int:
    """How many rows ``search_ids`` finds from the top (no ``before``), at most ``limit``; in no order,
    so that the count stops at ``limit`` whatever the plan."""
    params: dict[str, object] = {}
    source, where, _ = _tier(session, query, title_tier=title_tier, filters=filters, before=None, params=params)
    if _dialect(session) != "sqlite":
        return len(_unordered(session, source, where, params, limit=limit))
    params["limit"] = limit
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT :limit) AS found"  # noqa: S608 - fixed fragments
    return int(session.execute(text(sql), params).scalar_one())


def _tier(
    session: Session, query: Query, *, title_tier: bool, filters: Filters, before: int | None,
    params: dict[str, object],
) -> tuple[str, str, str]:  # fmt: skip
    """FROM, WHERE and the ordering key of a tier's public rows (``params`` receives the values)."""
    dialect = _dialect(session)
    clauses = _where_filters(filters, params)
    find = "instr({col}, :{p}) > 0" if dialect == "sqlite" else "strpos({col}, :{p}) > 0"
    in_title = []
    for i, term in enumerate(query.terms):
        params[f"t{i}"] = term
        in_title.append(find.format(col="c.title_text", p=f"t{i}"))
        if _exact(term, query.runs[i], dialect):
            continue  # the index decides it
        in_body = find.format(col="c.body_text", p=f"t{i}")
        clauses.append(in_title[-1] if title_tier else f"({in_title[-1]} OR {in_body})")
    if not title_tier:
        clauses.append(f"NOT ({' AND '.join(in_title)})")
    key = "c.id"
    if dialect == "sqlite":
        match = " AND ".join("(" + " AND ".join(_fts_run(r) for r in runs) + ")" for runs in query.runs)
        params["match"] = f"{{title}} : ({match})" if title_tier else match
        source = "catalogue_fts f JOIN catalogue_text c ON c.id = f.rowid"
        clauses.insert(0, "catalogue_fts MATCH :match")
        key = "f.rowid"
    else:
        params["tsq"] = " & ".join("(" + " & ".join(_ts_run(r) for r in runs) + ")" for runs in query.runs)
        source = "catalogue_text c"
        clauses.insert(0, f"c.{'title_grams' if title_tier else 'grams'} @@ CAST(:tsq AS tsquery)")
    if before is not None:
        clauses.append(f"{key} < :before")
        params["before"] = before
    return f"{source} JOIN document d ON d.id = c.document_id", " AND ".join(clauses), key


def _unordered(session: Session, source: str, where: str, params: dict[str, object], *, limit: int) -> list[int]:
    """PostgreSQL: up to ``limit`` matching ids in no order, read through the GIN index (a bitmap scan
    that stops at ``limit``; never the whole table because the planner took a word for common)."""
    sql = f"SELECT c.id FROM {source} WHERE {where} LIMIT :few"  # noqa: S608 - fixed fragments
    with _planner(session, enable_seqscan="off", enable_indexscan="off", max_parallel_workers_per_gather="0"):
        return [int(row[0]) for row in session.execute(text(sql), {**params, "few": limit})]


@contextmanager
def _planner(session: Session, **settings: str) -> Iterator[None]:
    """PostgreSQL: plan the statements inside with these settings (local to the transaction, and
    reset after them; a failure inside ends the transaction, which resets them too)."""
    calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(settings)))
    values: dict[str, str] = {}
    for i, (name, value) in enumerate(settings.items()):
        values[f"n{i}"], values[f"v{i}"] = name, value
    session.execute(text(f"SELECT {calls}"), values)
    yield
    session.execute(text("SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name = ANY(:names)"),
                    {"names": list(settings)})  # fmt: skip


def ids_in_order(found: Sequence[int]) -> dict[int, int]:
    """Position of each id in a result (to put rows fetched by id back in order)."""
    return {row_id: position for position, row_id in enumerate(found)}
