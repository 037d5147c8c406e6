"""Copying a whole archive from one database to another (``baotinh db copy``), e.g. SQLite → PostgreSQL.

* **streamed**: every table is read in primary-key order, ``batch`` rows at a time, and written a
  batch a transaction (COPY into PostgreSQL, ``executemany`` elsewhere): memory stays bounded;
* **resumable**: tables go in dependency order, and what the destination already holds is the
  progress marker: a table whose row count matches is skipped, a table half copied continues
  after its highest key (a batch never splits the rows of one key's first column);
* **verified**: afterwards each table is read again on both sides, its rows counted and digested
  (SHA-256 over a canonical form of every value), and the two compared;
* the search index is rebuilt on the way: PostgreSQL rows get their ``search_vector`` from the
  Python fold, SQLite rows their FTS5 row; PostgreSQL sequences are moved past the copied ids.

Forward references inside a table (``articles.duplicate_of`` pointing to a later id) are written
``NULL`` first and set once the table is complete, so foreign keys hold at every commit.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, bindparam, func, insert, select, text

from pipeline.archive import db
from pipeline.archive.models import Base
from pipeline.archive.recent_index import drop_tiers
from pipeline.archive.search_index import FTS_TABLE, folded_fields
from pipeline.archive.tsvector import tsvector_literal
from pipeline.errors import ArchiveError

__all__ = ["CopyReport", "TableCopy", "copy_archive", "table_digest"]

DEFAULT_BATCH = 2000
# Self-references written after their table is complete: (table, column).
FORWARD_REFERENCES = (("articles", "duplicate_of"),)
INDEXED = ("title", "description", "text", "author")


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's outcome: rows copied now, and both sides' counts and digests afterwards."""

    table: str
    copied: int
    seconds: float
    source_rows: int
    target_rows: int
    source_digest: str
    target_digest: str

    @property
    def equal(self) -> bool:
        return self.source_rows == self.target_rows and self.source_digest == self.target_digest


@dataclass(frozen=True, slots=True)
class CopyReport:
    tables: tuple[TableCopy, ...]

    @property
    def equal(self) -> bool:
        return all(t.equal for t in self.tables)

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables)


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def _key_columns(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def table_digest(conn: Connection, table: Table, *, batch: int = DEFAULT_BATCH) -> tuple[int, str]:
    """(rows, SHA-256) of ``table`` read in key order; equal data gives equal digests on any backend."""
    digest = hashlib.sha256()
    rows = 0
    for chunk in _batches(conn, table, batch, None):
        for row in chunk:
            line = json.dumps([_canonical(v) for v in row], sort_keys=True, ensure_ascii=False, default=str)
            digest.update(line.encode("utf-8") + b"\n")
            rows += 1
    return rows, digest.hexdigest()


def _batches(conn: Connection, table: Table, batch: int, after: Any) -> Iterator[Sequence[Any]]:
    """Rows of ``table`` in key order after the first key column's value ``after``.

    Each batch ends on a whole first-key group (composite keys: ``simhash_bands``).
    """
    keys = _key_columns(table)
    first = keys[0]
    stmt = select(*table.columns).order_by(*keys)
    while True:
        page = stmt if after is None else stmt.where(first > after)
        rows = conn.execute(page.limit(batch)).all()
        if not rows:
            return
        if len(keys) > 1 and len(rows) == batch:
            last = rows[-1]._mapping[first.name]
            whole = [r for r in rows if r._mapping[first.name] != last]
            # One key longer than a batch: take the whole group.
            rows = whole or conn.execute(stmt.where(first == last)).all()
        yield rows
        after = rows[-1]._mapping[first.name]


def _pg_value(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def _write_pg(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    names = [c.name for c in table.columns]
    vectors = table.name == "articles"
    columns = names + (["search_vector"] if vectors else [])
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            values = [_pg_value(row[n]) for n in names]
            if vectors:
                values.append(tsvector_literal(folded_fields(*(row[c] for c in INDEXED))))
            copy.write_row(values)


def _write_other(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    conn.execute(insert(table), rows)
    if table.name == "articles" and conn.dialect.name == "sqlite":
        conn.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, title, description, text, author) "
                          "VALUES (:id, :title, :description, :text, :author)"),
                     [dict(zip(("id", *INDEXED), (r["id"], *folded_fields(*(r[c] for c in INDEXED))), strict=True))
                      for r in rows])


def _copy_table(src: Connection, dst_engine: Engine, table: Table, batch: int,
                progress: Callable[[str], None]) -> tuple[int, float]:
    """Copy what the destination lacks of ``table``; returns (rows copied, seconds)."""
    started = time.perf_counter()
    first = _key_columns(table)[0]
    with dst_engine.connect() as dst:
        have = dst.execute(select(func.count()).select_from(table)).scalar_one()
        after = dst.execute(select(func.max(first))).scalar() if have else None
    total = src.execute(select(func.count()).select_from(table)).scalar_one()
    if have == total:
        return 0, time.perf_counter() - started
    if have and not isinstance(after, int):
        raise ArchiveError(f"the destination's {table.name} holds {have} of {total} rows and cannot be "
                           "continued; copy into an empty database")
    write = _write_pg if dst_engine.dialect.name == "postgresql" else _write_other
    copied = 0
    for chunk in _batches(src, table, batch, after):
        rows = [dict(r._mapping) for r in chunk]
        _blank_forward(table, rows)
        with dst_engine.begin() as dst:
            write(dst, table, rows)
        copied += len(rows)
        progress(f"{table.name}: {have + copied:,} / {total:,} rows")
    _set_forward_references(src, dst_engine, table)
    return copied, time.perf_counter() - started


def _set_forward_references(src: Connection, dst_engine: Engine, table: Table) -> None:
    """Set the self-references blanked while copying (rows pointing to a later key)."""
    for name, column in FORWARD_REFERENCES:
        if table.name != name:
            continue
        key = _key_columns(table)[0]
        ref = table.c[column]
        rows = src.execute(select(key, ref).where(ref > key)).all()
        if rows:
            with dst_engine.begin() as dst:
                dst.execute(table.update().where(key == bindparam("k")).values({column: bindparam("v")}),
                            [{"k": k, "v": v} for k, v in rows])


def _blank_forward(table: Table, rows: list[dict[str, Any]]) -> None:
    for name, column in FORWARD_REFERENCES:
        if table.name == name:
            key = _key_columns(table)[0].name
            for row in rows:
                if row[column] is not None and row[column] > row[key]:
                    row[column] = None


def _move_sequences(engine: Engine) -> None:
    """PostgreSQL: each serial key's sequence past the highest copied id, so inserts go on."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in _tables():
            keys = _key_columns(table)
            if len(keys) == 1 and keys[0].type.python_type is int:
                name = keys[0].name  # a key without a sequence gives setval(NULL, ...): nothing
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{name}'), "
                                  f"coalesce(max({name}), 1), max({name}) IS NOT NULL) FROM {table.name}"))


def copy_archive(source_url: str, target_url: str, *, batch: int = DEFAULT_BATCH,
                 progress: Callable[[str], None] = lambda _line: None) -> CopyReport:
    """Copy the archive at ``source_url`` into ``target_url`` (created or migrated to head), then verify.

    Re-running after an interruption continues where the destination stops. PostgreSQL's
    recent search tiers are dropped from the destination for the copy
    (:func:`pipeline.archive.recent_index.maintain_recent_index` builds them). Raises
    :class:`ArchiveError` (or a subclass) for a source that is not a current archive or a
    destination that cannot be continued.
    """
    src_engine = db.make_engine(source_url, read_only=True)
    dst_engine = db.make_engine(target_url)
    try:
        db.check_schema(src_engine)
        db.upgrade(dst_engine)
        db.check_schema(dst_engine)
        # The recent search tiers would take every copied article a second time; they are built
        # again afterwards (``baotinh db copy`` runs the upkeep; searches meanwhile do without).
        drop_tiers(dst_engine)
        timings: dict[str, tuple[int, float]] = {}
        with src_engine.connect() as src:
            for table in _tables():
                timings[table.name] = _copy_table(src, dst_engine, table, batch, progress)
        _move_sequences(dst_engine)
        results = []
        with src_engine.connect() as src, dst_engine.connect() as dst:
            for table in _tables():
                progress(f"verifying {table.name}")
                src_rows, src_digest = table_digest(src, table, batch=batch)
                dst_rows, dst_digest = table_digest(dst, table, batch=batch)
                copied, seconds = timings[table.name]
                results.append(TableCopy(table.name, copied, seconds, src_rows, dst_rows, src_digest, dst_digest))
        return CopyReport(tuple(results))
    finally:
        src_engine.dispose()
        dst_engine.dispose()


