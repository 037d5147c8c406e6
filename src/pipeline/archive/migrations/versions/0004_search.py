"""full-text search: FTS5 / tsvector (issue 4)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

SQLite: a contentless FTS5 table over the folded title, description, text and author, kept in
sync by triggers that call ``baotinh_fold`` (registered on every connection by
``pipeline.archive.sqlite.install_sqlite_functions``). The folded text is stored only in the index.

PostgreSQL: ``baotinh_fold(text)``, an immutable SQL function (translate + lower) that folds like
``pipeline.text.fold.fold``, and a generated ``tsvector`` column with a GIN index.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("title", "description", "text", "author")
# Deleted by the fold: combining marks, zero-width characters (as normalise.remove_invisible).
DELETED = "".join(chr(c) for c in range(0x300, 0x370)) + "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
ODD_SPACES = "\u00a0" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u202f\u205f\u3000"


def fold_translation() -> tuple[str, str]:
    """The ``translate()`` from/to strings equivalent to ``pipeline.text.fold.fold`` on NFC text.

    Computed from the fold table at migration time; a later change of the fold needs a new
    revision (and ``rebuild_index``).
    """
    from pipeline.text.fold import FOLD_TABLE

    pairs = sorted((chr(k), v) for k, v in FOLD_TABLE.items() if len(v) == 1)
    src = "".join(k for k, _ in pairs) + ODD_SPACES
    dst = "".join(v for _, v in pairs) + " " * len(ODD_SPACES)
    return src + DELETED, dst


def folded_list(prefix: str) -> str:
    return ", ".join(f"baotinh_fold({prefix}.{c})" for c in COLUMNS)


def upgrade_sqlite() -> None:
    from pipeline.archive.sqlite import register_sqlite_functions

    # The backfill and the triggers below need the function on this very connection.
    register_sqlite_functions(op.get_bind().connection.driver_connection)
    cols = ", ".join(COLUMNS)
    op.execute(f"CREATE VIRTUAL TABLE articles_fts USING fts5({cols}, content='', "
               "tokenize='unicode61 remove_diacritics 0')")
    insert_new = f"INSERT INTO articles_fts(rowid, {cols}) VALUES (new.id, {folded_list('new')});"
    delete_old = (f"INSERT INTO articles_fts(articles_fts, rowid, {cols}) "
                  f"VALUES ('delete', old.id, {folded_list('old')});")
    op.execute(f"CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN {insert_new} END")
    op.execute(f"CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN {delete_old} END")
    op.execute(f"CREATE TRIGGER articles_fts_au AFTER UPDATE OF {cols} ON articles "
               f"BEGIN {delete_old} {insert_new} END")
    op.execute(f"INSERT INTO articles_fts(rowid, {cols}) SELECT id, "
               f"{', '.join(f'baotinh_fold({c})' for c in COLUMNS)} FROM articles")


def upgrade_pg() -> None:
    src, dst = fold_translation()
    op.execute(
        "CREATE FUNCTION baotinh_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        f"AS $$ SELECT lower(translate(t, '{src}', '{dst}')) $$")
    # Only letters and digits make tokens, as FTS5's unicode61 reads the folded text.
    op.execute(
        "CREATE FUNCTION baotinh_words(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT regexp_replace(baotinh_fold(coalesce(t, '')), '[^[:alnum:]]+', ' ', 'g') $$")
    weights = dict(zip(COLUMNS, "ABCD"))
    vector = " || ".join(f"setweight(to_tsvector('simple', baotinh_words({c})), '{w}')"
                         for c, w in weights.items())
    op.execute(f"ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED")
    op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        upgrade_sqlite()
    elif op.get_bind().dialect.name == "postgresql":
        upgrade_pg()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("articles_fts_au", "articles_fts_ad", "articles_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP FUNCTION IF EXISTS baotinh_words(text)")
        op.execute("DROP FUNCTION IF EXISTS baotinh_fold(text)")
