"""PostgreSQL: the store writes ``search_vector`` from the worker's fold (issue 15)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Until now ``articles.search_vector`` was a generated column that folded the title, lead, text
and author with ``baotinh_fold`` (a ``translate()`` over a 653-character map) on every insert
and every text update: 16 ms an article, twenty times the rest of the write. The extraction
workers fold the text already, so the store now sends the folded fields and the server only
tokenises them (``baotinh_folded_vector``), which gives the same tsvector byte for byte.

The column becomes a plain one: ``DROP EXPRESSION`` keeps every stored value, so existing rows
are converted without being recomputed. A ``BEFORE INSERT OR UPDATE`` trigger fills the vector
with the SQL fold whenever a writer does not supply one (an insert without it, an edit of the
text that leaves the vector as it was), so edits made by hand or by other programs stay
indexed. A writer that updates texts and writes their vectors itself in the same transaction
(``reextract``, index rebuilds) sets ``baotinh.vectors_written`` to ``on`` for the transaction.
SQLite is unchanged.

Frozen: imports nothing from ``pipeline``; ``baotinh_fold`` and ``baotinh_words`` are revision
0004's functions and stay as they are.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The vector of already folded fields: as 0004's generated column, minus the fold.
FOLDED_VECTOR_SQL = (
    "CREATE FUNCTION baotinh_folded_vector(ft text, fd text, fx text, fa text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
    "setweight(to_tsvector('simple', regexp_replace(coalesce(ft, ''), '[^[:alnum:]]+', ' ', 'g')), 'A') || "
    "setweight(to_tsvector('simple', regexp_replace(coalesce(fd, ''), '[^[:alnum:]]+', ' ', 'g')), 'B') || "
    "setweight(to_tsvector('simple', regexp_replace(coalesce(fx, ''), '[^[:alnum:]]+', ' ', 'g')), 'C') || "
    "setweight(to_tsvector('simple', regexp_replace(coalesce(fa, ''), '[^[:alnum:]]+', ' ', 'g')), 'D') $$"
)
TRIGGER_FUNCTION_SQL = """
CREATE FUNCTION baotinh_search_vector_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.search_vector IS NOT NULL THEN
            RETURN NEW;
        END IF;
    ELSIF coalesce(current_setting('baotinh.vectors_written', true), '') = 'on'
          OR NEW.search_vector IS DISTINCT FROM OLD.search_vector THEN
        RETURN NEW;
    END IF;
    NEW.search_vector := baotinh_folded_vector(baotinh_fold(NEW.title), baotinh_fold(NEW.description),
                                               baotinh_fold(NEW.text), baotinh_fold(NEW.author));
    RETURN NEW;
END
$$
"""
TRIGGER_SQL = ("CREATE TRIGGER articles_search_vector BEFORE INSERT OR UPDATE OF title, description, text, "
               "author ON articles FOR EACH ROW EXECUTE FUNCTION baotinh_search_vector_fill()")

# Revision 0004's generated column, for the downgrade.
GENERATED_0004 = " || ".join(
    f"setweight(to_tsvector('simple', baotinh_words({c})), '{w}')"
    for c, w in (("title", "A"), ("description", "B"), ("text", "C"), ("author", "D")))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE articles ALTER COLUMN search_vector DROP EXPRESSION")
    op.execute(FOLDED_VECTOR_SQL)
    op.execute(TRIGGER_FUNCTION_SQL)
    op.execute(TRIGGER_SQL)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS articles_search_vector ON articles")
    op.execute("DROP FUNCTION IF EXISTS baotinh_search_vector_fill()")
    op.execute("DROP FUNCTION IF EXISTS baotinh_folded_vector(text, text, text, text)")
    op.execute("ALTER TABLE articles DROP COLUMN search_vector")
    op.execute(f"ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({GENERATED_0004}) STORED")
    op.execute("CREATE INDEX IF NOT EXISTS ix_articles_search_vector ON articles USING gin (search_vector)")
