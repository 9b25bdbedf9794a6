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

from sqlalchemy import Connection, text
from sqlmodel import Session

_RUN = re.compile(r"[0-9a-z]+|[^\W_\x00-\x7f]+")
_MAX_TERMS = 8
_MAX_TERM_CHARS = 64
NEWEST_ROWS = 1000  # PostgreSQL: a search looks among the newest rows first (see search_ids)
FEW_MATCHES = 1000  # PostgreSQL: below this many index matches, a search reads only those rows
_NEXT_ID = "SELECT COALESCE(MAX(id), 0) + 1 FROM catalogue_text"


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


def _tsquery(query: Query) -> str:
    """The tsquery of every term (PostgreSQL)."""
    return " & ".join("(" + " & ".join(_ts_run(r) for r in runs) + ")" for runs in query.runs)


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
    newest: int = NEWEST_ROWS, few: int = FEW_MATCHES,
) -> list[int]:  # fmt: skip
    """Ids of public rows matching every term, newest first, below ``before``.

    ``title_tier``: every term is in the title; else: every term is in the title or body, but not
    every term in the title (the rows of the other tier).

    PostgreSQL's planner, left to itself, reads the whole table for a word it takes for common
    (解读, in no title: 0.25 s at 100,000 items) and sorts every match of a phrase it takes for
    rare. So a search looks among the ``newest`` rows first, walking the ids down (a common word
    fills its page there); for what is missing it asks the index how many rows below them match,
    up to ``few`` (``_index_matches``): fewer are the only rows read (and sorted); with more, the
    planner's walk down the ids soon finds the page.
    """
    params: dict[str, object] = {"limit": limit}
    source, where, key = _tier(session, query, title_tier=title_tier, filters=filters, before=before, params=params)
    sql = f"SELECT c.id FROM {source} WHERE {{where}} ORDER BY {key} DESC LIMIT :limit"  # noqa: S608 - fixed fragments
    if _dialect(session) == "sqlite":
        return _ids(session, sql.format(where=where), params)
    top = before if before is not None else int(session.execute(text(_NEXT_ID)).scalar_one())
    params["floor"] = floor = max(top - newest, 0)
    found = _ids(session, sql.format(where=f"{where} AND c.id >= :floor"), params)
    if len(found) == limit or floor == 0:
        return found
    params["limit"] = limit - len(found)
    below = f"{where} AND c.id < :floor"
    if (candidates := _index_matches(session, query, title_tier=title_tier, before=floor, few=few)) is not None:
        if not candidates:
            return found
        below, params["candidates"] = f"c.id = ANY(:candidates) AND {below}", candidates
    return found + _ids(session, sql.format(where=below), params)


def count_ids(session: Session, query: Query, *, title_tier: bool, filters: Filters, limit: int) -> int:
    """How many rows ``search_ids`` finds from the top (no ``before``), at most ``limit``: counted in no
    order, so that whatever plan is taken stops at ``limit`` rows."""
    params: dict[str, object] = {"limit": limit}
    source, where, _ = _tier(session, query, title_tier=title_tier, filters=filters, before=None, params=params)
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT :limit) AS found"  # noqa: S608 - fixed fragments
    return int(session.execute(text(sql), params).scalar_one())


def _ids(session: Session, sql: str, params: dict[str, object]) -> list[int]:
    """The ids a query selects, in its order."""
    return [int(row[0]) for row in session.execute(text(sql), params)]


def _index_matches(session: Session, query: Query, *, title_tier: bool, before: int, few: int) -> list[int] | None:
    """PostgreSQL: the ids below ``before`` whose tier's tsvector matches, if fewer than ``few``; else None.

    Read through the GIN index alone, a bitmap scan that stops at ``few`` (a word in no title:
    about a millisecond); the planner is kept from the table scan it would take for a word it
    believes common.
    """
    column = "title_grams" if title_tier else "grams"
    sql = (f"SELECT c.id FROM catalogue_text c WHERE c.{column} @@ CAST(:tsq AS tsquery) "  # noqa: S608 - fixed names
           "AND c.id < :before LIMIT :few")  # fmt: skip
    with _planner(session, enable_seqscan="off", enable_indexscan="off", max_parallel_workers_per_gather="0"):
        found = _ids(session, sql, {"tsq": _tsquery(query), "before": before, "few": few})
    return found if len(found) < few else None


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
        params["tsq"] = _tsquery(query)
        source = "catalogue_text c"
        clauses.insert(0, f"c.{'title_grams' if title_tier else 'grams'} @@ CAST(:tsq AS tsquery)")
    if before is not None:
        clauses.append(f"{key} < :before")
        params["before"] = before
    return f"{source} JOIN document d ON d.id = c.document_id", " AND ".join(clauses), key


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
