"""Near-duplicate detection: the same (syndicated) story published by several papers.

Each article's folded text (lower case, no tones, đ→d) is cut into word 3-shingles and hashed
into a 64-bit SimHash (:mod:`pipeline.text.simhash`). Two texts whose SimHashes differ in at most
:data:`MAX_DISTANCE` (5) bits are copies of one story (an agency line or a retouched sentence moves a few bits; distinct
stories of the demo paper are 19+ bits apart). To avoid comparing every pair, the hash is split
into :data:`BANDS` (6) bands of 10–11 bits stored in ``simhash_bands``: by the pigeonhole
principle two hashes within 5 bits agree on at least one whole band, so only articles sharing a
``(band, key)`` are compared. Copies are linked to the earliest one (by ``published_at``, then
id) through ``articles.duplicate_of``; every copy is kept.

>>> simhash_text("một hai ba bốn năm sáu bảy tám chín mười " * 3) is not None
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, SimhashBand
from pipeline.text.simhash import MAX_DISTANCE, band_keys, hamming, simhash_text, to_signed, to_unsigned

__all__ = [
    "DedupStats",
    "count_non_duplicates",
    "non_duplicates",
    "rebuild_duplicates",
    "update_duplicates",
]


def _order_key(article: Any) -> tuple[bool, datetime | str, int]:
    published = article.published_at
    # Undated copies sort after dated ones: the earliest *known* publication is the original.
    return (published is None, published if published is not None else "", article.id)


@dataclass(frozen=True, slots=True)
class DedupStats:
    articles: int
    hashed: int
    duplicates: int
    clusters: int


# The advisory lock key of the near-copy linking pass (any constant: "baotinh dedup").
LINKING_LOCK = 0x62746E_6464


def _serialise_linking(session: Session) -> None:
    """Hold the linking lock until the caller's transaction ends (PostgreSQL; SQLite writers
    are serialised already). Two writers on two machines storing near-copies at once would
    otherwise each look for the other's bands before they are committed, and link neither."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LINKING_LOCK})


def update_duplicates(session: Session, article_ids: Iterable[int], *,
                      known: Mapping[int, int | None] | None = None,
                      stored: Iterable[int] = (), banded: Iterable[int] = (), locked: bool = False) -> int:
    """Hash the given (new or changed) articles and link them to their earliest copy.

    ``known`` holds hashes computed already (by the extraction workers), ``stored`` the ids whose
    ``articles.simhash`` was written with the row (rewriting a row costs as much as inserting it),
    ``banded`` those whose bands were too; ``locked``: the caller holds the linking lock already.
    Returns how many of them are now duplicates of another article. Batched: a handful of
    statements for the whole batch (hashes, bands, one band lookup); only the rare articles
    that meet a near-copy go through the cluster update one by one.
    """
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return 0
    if not locked:
        _serialise_linking(session)
    known = known or {}
    hashes = {aid: known[aid] for aid in ids if aid in known}
    todo = [aid for aid in ids if aid not in known]
    if todo:
        texts = dict(session.execute(select(Article.id, Article.text).where(Article.id.in_(todo))).all())
        hashes.update({aid: simhash_text(texts[aid] or "") for aid in todo if aid in texts})
    # ``stored`` rows were inserted in this transaction, hash included: no bands, no duplicate_of yet
    already = set(stored)
    rehashed = [aid for aid in hashes if aid not in already]
    if rehashed:
        session.execute(delete(SimhashBand).where(SimhashBand.article_id.in_(rehashed)))
    changed = [{"id": aid, "simhash": to_signed(v) if v is not None else None}
               for aid, v in hashes.items() if aid not in already]
    if changed:
        session.execute(update(Article).execution_options(synchronize_session=False), changed)
    keys = {aid: band_keys(v) for aid, v in hashes.items() if v is not None}
    written = set(banded)
    rows = [{"article_id": aid, "band": b, "key": k, "simhash": to_signed(hashes[aid] or 0)}
            for aid, ks in keys.items() if aid not in written for b, k in ks]
    _insert_bands(session, rows)
    near = _near_copies(session, keys, hashes)
    linked = 0
    plain: list[int] = [aid for aid, v in hashes.items() if v is None]
    for aid in keys:
        matches = near.get(aid)
        if not matches:
            plain.append(aid)
            continue
        article = session.get(Article, aid)
        if article is not None:
            linked += _link_cluster(session, article, matches)
    plain = [aid for aid in plain if aid not in already]
    if plain:
        # No near-copy: such an article is nobody's duplicate (it may have been before an edit).
        session.execute(update(Article).where(Article.id.in_(plain), Article.duplicate_of.is_not(None))
                        .values(duplicate_of=None).execution_options(synchronize_session=False))
    session.flush()
    return linked


# PostgreSQL: a batch's bands in one statement (four arrays) instead of a row per execution.
_BANDS_UNNEST = text(
    "INSERT INTO simhash_bands (article_id, band, key, simhash) "
    "SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:bands AS smallint[]), "
    "CAST(:keys AS integer[]), CAST(:hashes AS bigint[]))")


def _insert_bands(session: Session, rows: list[dict[str, int]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_BANDS_UNNEST, {"ids": [r["article_id"] for r in rows], "bands": [r["band"] for r in rows],
                                        "keys": [r["key"] for r in rows], "hashes": [r["simhash"] for r in rows]})
        return
    session.execute(insert(SimhashBand), rows)


def _near_copies(session: Session, keys: Mapping[int, list[tuple[int, int]]],
                 hashes: Mapping[int, int | None]) -> dict[int, set[int]]:
    """For each hashed article, the other articles within :data:`MAX_DISTANCE` bits.

    One query (an OR over the bands) for the whole batch returns every article sharing a band key with the
    batch, with its hash (kept in the band row, so no article row is read), and the Hamming test
    runs on plain integers: a band key of 10–11 bits is shared by chance with about one article
    in 2,000, so most candidates are not copies and must not cost a query each.
    """
    near: dict[int, set[int]] = {}
    if session.get_bind().dialect.name == "postgresql":
        wanted_ids = [(aid, b, k) for aid, ks in keys.items() for b, k in ks]
        found = session.execute(_CANDIDATES_UNNEST, {"ids": _array([a for a, _, _ in wanted_ids]),
                                                     "bands": _array([b for _, b, _ in wanted_ids]),
                                                     "keys": _array([k for _, _, k in wanted_ids])})
        for aid, other, signed in found:
            own = hashes[aid]
            if own is not None and signed is not None and hamming(own, to_unsigned(signed)) <= MAX_DISTANCE:
                near.setdefault(aid, set()).add(other)
        return near
    wanted: dict[tuple[int, int], list[int]] = {}
    for aid, ks in keys.items():
        for bk in ks:
            wanted.setdefault(bk, []).append(aid)
    by_band: dict[int, list[int]] = {}
    for b, k in sorted(wanted):
        by_band.setdefault(b, []).append(k)
    # one statement for every band (an OR of index lookups), in chunks of bound parameters
    conditions, size = [], 0
    for band, values in by_band.items():
        for start in range(0, len(values), 500):
            conditions.append(and_(SimhashBand.band == band, SimhashBand.key.in_(values[start:start + 500])))
            size += len(values[start:start + 500])
            if size >= 2000:
                _match_candidates(session, conditions, wanted, hashes, near)
                conditions, size = [], 0
    if conditions:
        _match_candidates(session, conditions, wanted, hashes, near)
    return near


# PostgreSQL: for each (article, band, key) of the batch, the other articles' bands sharing the
# (band, key), one statement of fixed text (prepared once, where the OR of IN lists of varying
# length is planned at every batch). An article's own bands are left out by the server: they
# were most of the rows returned (six an article), each fetched and tested for nothing.
_CANDIDATES_UNNEST = text(
    "SELECT w.id, b.article_id, b.simhash FROM unnest(CAST(:ids AS integer[]), CAST(:bands AS smallint[]), "
    "CAST(:keys AS integer[])) AS w(id, band, key) "
    "JOIN simhash_bands AS b ON b.band = w.band AND b.key = w.key AND b.article_id <> w.id")


def _array(values: list[int]) -> str:
    """The text of an integer array (``{1,2,3}``): made in C here, where psycopg dumps a list
    element by element in Python (a batch's candidates bind three lists of 300)."""
    return "{" + ",".join(map(str, values)) + "}"


def _match_candidates(session: Session, conditions: list[Any], wanted: Mapping[tuple[int, int], list[int]],
                      hashes: Mapping[int, int | None], near: dict[int, set[int]]) -> None:
    stmt = select(SimhashBand.band, SimhashBand.key, SimhashBand.article_id, SimhashBand.simhash).where(
        or_(*conditions))
    _match(session.execute(stmt), wanted, hashes, near)


def _match(found: Iterable[Any], wanted: Mapping[tuple[int, int], list[int]],
           hashes: Mapping[int, int | None], near: dict[int, set[int]]) -> None:
    """Add to ``near`` the candidates (band, key, article id, signed hash) within the distance."""
    for band, key, other, signed in found:
        if signed is None:
            continue
        other_hash = to_unsigned(signed)
        for aid in wanted[(band, key)]:
            own = hashes[aid]
            if other != aid and own is not None and hamming(own, other_hash) <= MAX_DISTANCE:
                near.setdefault(aid, set()).add(other)


def _link_cluster(session: Session, article: Article, matches: set[int]) -> int:
    """Link ``article`` and its near-copies (``matches``) to the earliest of them; 1 if it is a copy."""
    candidates = session.scalars(select(Article).where(Article.id.in_(matches))).all()
    roots = {m.duplicate_of or m.id for m in candidates}
    cluster_ids = roots | {m.id for m in candidates} | {article.id}
    members = session.scalars(select(Article).where(
        Article.duplicate_of.in_(roots | {article.id}) | Article.id.in_(cluster_ids)
    )).all()
    cluster = {a.id: a for a in members}
    cluster[article.id] = article
    root = min(cluster.values(), key=_order_key)
    for a in cluster.values():
        a.duplicate_of = None if a.id == root.id else root.id
    return int(article.duplicate_of is not None)


def rebuild_duplicates(session: Session, *, batch: int = 1000) -> DedupStats:
    """Recompute every SimHash, band and ``duplicate_of`` of the archive.

    Linear in the archive: hashes are bucketed by band in memory and only bucket mates are
    compared; clusters are merged with union-find and linked to their earliest member.
    """
    session.execute(delete(SimhashBand))
    session.execute(update(Article).values(duplicate_of=None, simhash=None))
    order: dict[int, tuple[bool, datetime | str, int]] = {}
    hashes: dict[int, int] = {}
    total = 0
    stmt = select(Article.id, Article.text, Article.published_at).execution_options(yield_per=batch)
    for row in session.execute(stmt):
        total += 1
        value = simhash_text(row.text or "")
        order[row.id] = _order_key(row)
        if value is not None:
            hashes[row.id] = value
    parent = {i: i for i in hashes}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    buckets: dict[tuple[int, int], list[int]] = {}
    for article_id, value in hashes.items():
        for key in band_keys(value):
            buckets.setdefault(key, []).append(article_id)
    for mates in buckets.values():
        for i, a in enumerate(mates):
            for b in mates[i + 1:]:
                if find(a) != find(b) and hamming(hashes[a], hashes[b]) <= MAX_DISTANCE:
                    parent[find(a)] = find(b)
    clusters: dict[int, list[int]] = {}
    for article_id in hashes:
        clusters.setdefault(find(article_id), []).append(article_id)
    duplicates = 0
    for members in clusters.values():
        root = min(members, key=lambda i: order[i])
        for article_id in members:
            if article_id != root:
                duplicates += 1
    _write_hashes(session, hashes, clusters, order, batch)
    return DedupStats(articles=total, hashed=len(hashes), duplicates=duplicates,
                      clusters=sum(1 for m in clusters.values() if len(m) > 1))


def _write_hashes(session: Session, hashes: dict[int, int], clusters: dict[int, list[int]],
                  order: dict[int, tuple[bool, datetime | str, int]], batch: int) -> None:
    root_of: dict[int, int | None] = {}
    for members in clusters.values():
        root = min(members, key=lambda i: order[i])
        for article_id in members:
            root_of[article_id] = None if article_id == root else root
    items = list(hashes.items())
    for start in range(0, len(items), batch):
        chunk = items[start:start + batch]
        session.execute(update(Article), [
            {"id": i, "simhash": to_signed(v), "duplicate_of": root_of.get(i)} for i, v in chunk
        ])
        session.execute(insert(SimhashBand), [
            {"article_id": i, "band": b, "key": k, "simhash": to_signed(v)} for i, v in chunk for b, k in band_keys(v)
        ])
    session.flush()


def non_duplicates(stmt: Select[Any] | None = None) -> Select[Any]:
    """A ``select(Article)`` (or ``stmt``) that leaves out near-duplicate copies.

    >>> str(non_duplicates()).endswith("articles.duplicate_of IS NULL")
    True
    """
    base = stmt if stmt is not None else select(Article)
    return base.where(Article.duplicate_of.is_(None))


def count_non_duplicates(session: Session, *, site: str | None = None) -> int:
    """How many articles the archive holds when each story counts once."""
    stmt = non_duplicates(select(func.count()).select_from(Article))
    if site:
        stmt = stmt.where(Article.site == site)
    return int(session.scalar(stmt) or 0)
