"""full-text search: FTS5 / tsvector (issue 4)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

SQLite: a contentless FTS5 table over the folded title, description, text and author, kept in
sync by triggers that call ``baotinh_fold`` (registered on every connection by
``pipeline.archive.sqlite.install_sqlite_functions``). The folded text is stored only in the index.

PostgreSQL: ``baotinh_fold(text)``, an immutable SQL function (translate + lower) that folds like
``pipeline.text.fold.fold``, and a generated ``tsvector`` column with a GIN index.

Frozen: this revision imports nothing from ``pipeline``. The fold it applies (the PostgreSQL
``translate()`` strings, the Python fold of the SQLite backfill) is written out below as it was
at this revision, so a later change of the live fold cannot change what this revision does;
``tests/test_migrations.py`` notices such a change, which then needs a new revision (and
``rebuild_index``).
"""

from __future__ import annotations

import re
import unicodedata

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("title", "description", "text", "author")

# -- the fold as it was at this revision --------------------------------------------------------
# Each precomposed Latin letter and its folded letter (lower case, no diacritics, đ→d), one
# block of characters a pair of lines: the first string maps character by character onto the
# second. Generated once from ``pipeline.text.fold.FOLD_TABLE`` (entries of one character).
FOLD_LETTERS = (
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅ",
     "abcdefghijklmnopqrstuvwxyzaaaaaa"),
    ("ÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêë",
     "ceeeeiiiidnooooouuuuyaaaaaaceeee"),
    ("ìíîïðñòóôõöùúûüýÿ",
     "iiiidnooooouuuuyy"),
    ("ĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğ",
     "aaaaaaccccccccddddeeeeeeeeeegggg"),
    ("ĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌ",
     "gggghhiiiiiiiiijjkkllllllnnnnnno"),
    ("ōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰ",
     "ooooorrrrrrssssssssttttuuuuuuuuu"),
    ("űŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚ",
     "uuuwwyyyzzzzzzoouuaaiioouuuuuuuu"),
    ("ǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻ",
     "uuaaaaggkkoooojggnnaa"),
    ("ȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧ",
     "aaaaeeeeiiiioooorrrruuuusstthhaa"),
    ("ȨȩȪȫȬȭȮȯȰȱȲȳ",
     "eeooooooooyy"),
    ("ḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟ",
     "aabbbbbbccddddddddddeeeeeeeeeeff"),
    ("ḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿ",
     "gghhhhhhhhhhiiiikkkkkkllllllllmm"),
    ("ṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟ",
     "mmmmnnnnnnnnoooooooopppprrrrrrrr"),
    ("ṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿ",
     "ssssssssssttttttttuuuuuuuuuuvvvv"),
    ("ẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấ",
     "wwwwwwwwwwxxxxyyzzzzzzhtwyaaaaaa"),
    ("ẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễ",
     "aaaaaaaaaaaaaaaaaaeeeeeeeeeeeeee"),
    ("ỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụ",
     "eeiiiioooooooooooooooooooooooouu"),
    ("ỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ",
     "uuuuuuuuuuuuyyyyyyyy"),
)
# Made spaces by the fold (as ``normalise.remove_invisible``): NBSP, U+2000–U+200A and others.
ODD_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# Deleted by the fold: the combining marks U+0300–U+036F, zero-width characters, soft hyphen.
DELETED = "".join(chr(c) for c in range(0x300, 0x370)) + "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
# PostgreSQL's translate(t, FOLD_FROM, FOLD_TO): characters beyond FOLD_TO's length are deleted.
FOLD_FROM = "".join(src for src, _ in FOLD_LETTERS) + ODD_SPACES + DELETED
FOLD_TO = "".join(dst for _, dst in FOLD_LETTERS) + " " * len(ODD_SPACES)

INVISIBLE_RE = re.compile("[\u200b\u200c\u2060\ufeff\u00ad\u200e\u200f]")
JOINER_RE = re.compile(r"(?<=[^\W_])\u200d|\u200d(?=[^\W_])")
ODD_SPACE_RE = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
MARKS_RE = re.compile("[\u0300-\u036f]+")
# The SQLite backfill's fold, registered on the migration's connection under a name of its own:
# the live ``baotinh_fold`` that the triggers call on every connection is left as it is.
SQLITE_FOLD = "baotinh_fold_0004"


def fold_0004(value: str | None) -> str | None:
    """The search fold at this revision: ``pipeline.text.fold.fold`` of 2026-11 (NULL stays NULL).

    Zero-width characters dropped (a joiner only next to a letter or digit), odd spaces made
    spaces, then decomposed, marks U+0300–U+036F deleted, đ/Đ/Ð/ð made d, lower case; other
    scripts' marks are dropped too, and the rare non-ASCII result recomposed.
    """
    if value is None:
        return None
    text = INVISIBLE_RE.sub("", value)
    text = JOINER_RE.sub("", text)
    text = ODD_SPACE_RE.sub(" ", text)
    stripped = MARKS_RE.sub("", unicodedata.normalize("NFD", text))
    folded = stripped.replace("đ", "d").replace("Đ", "d").replace("Ð", "d").replace("ð", "d").lower()
    if folded.isascii():
        return folded
    kept = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def folded_list(prefix: str) -> str:
    return ", ".join(f"baotinh_fold({prefix}.{c})" for c in COLUMNS)


def upgrade_sqlite() -> None:
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
    # The backfill folds as this revision did, with a function of its own on this connection.
    raw = op.get_bind().connection.driver_connection
    assert raw is not None, "the migration runs on an open sqlite3 connection"
    raw.create_function(SQLITE_FOLD, 1, fold_0004, deterministic=True)
    op.execute(f"INSERT INTO articles_fts(rowid, {cols}) SELECT id, "
               f"{', '.join(f'{SQLITE_FOLD}({c})' for c in COLUMNS)} FROM articles")


def upgrade_pg() -> None:
    op.execute(
        "CREATE FUNCTION baotinh_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        f"AS $$ SELECT lower(translate(t, '{FOLD_FROM}', '{FOLD_TO}')) $$")
    # Only letters and digits make tokens, as FTS5's unicode61 reads the folded text.
    op.execute(
        "CREATE FUNCTION baotinh_words(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT regexp_replace(baotinh_fold(coalesce(t, '')), '[^[:alnum:]]+', ' ', 'g') $$")
    weights = dict(zip(COLUMNS, "ABCD", strict=True))
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
