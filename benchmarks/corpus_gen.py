"""Generate a large archive whose text follows real Vietnamese syllable frequencies.

The frequency table is counted from real text (the pages in /work/shared/realpages when present,
and the bundled demo articles); articles are drawn from it with a Zipf-like distribution, so
"và", "của", "được" are as common as in the press. Bulk insert through executemany in large
transactions, then the search index filled in one statement.
"""

from __future__ import annotations

import random
import re
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.archive import db
from pipeline.archive.sqlite import install_sqlite_functions

REAL_TEXT_DIRS = (Path("/work/shared/realpages"), Path(__file__).resolve().parent.parent / "src/pipeline/demo/articles")
SYLLABLE_RE = re.compile(r"[^\W\d_]+")
TAG_RE = re.compile(r"<[^>]+>")
SITES = tuple(f"site{i:02d}" for i in range(40))
BATCH = 5000


def count_syllables() -> Counter[str]:
    """Syllable counts from the real text available locally (HTML tags stripped)."""
    counts: Counter[str] = Counter()
    for folder in REAL_TEXT_DIRS:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in {".html", ".htm", ".toml", ".txt"}:
                text = TAG_RE.sub(" ", path.read_text("utf-8", "replace"))
                counts.update(w.lower() for w in SYLLABLE_RE.findall(text) if not w.isascii() or len(w) <= 5)
    return counts


def make_sentences(rng: random.Random, vocab: list[str], weights: list[float], words: int) -> str:
    syl = rng.choices(vocab, weights=weights, k=words)
    out, i = [], 0
    while i < len(syl):
        n = rng.randint(8, 20)
        chunk = syl[i:i + n]
        out.append(chunk[0].capitalize() + " " + " ".join(chunk[1:]) + ".")
        i += n
    return " ".join(out)


def generate(path: Path, articles: int, *, seed: int = 7) -> float:
    """Create ``path`` with ``articles`` articles; returns the seconds it took."""
    t0 = time.perf_counter()
    counts = count_syllables()
    vocab = [w for w, _ in counts.most_common(6000)]
    weights = [float(counts[w]) for w in vocab]
    engine = db.make_engine(f"sqlite:///{path}")
    install_sqlite_functions(engine)
    db.upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    from pipeline.archive.sqlite import register_sqlite_functions
    register_sqlite_functions(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    now = "2025-11-25 00:00:00"
    conn.executemany("INSERT INTO sources(id, name, province_before, province_after, domain, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(s, f"Báo {s}", f"Tỉnh {i % 34}", f"Tỉnh {i % 20}", f"{s}.vn", now, now)
                      for i, s in enumerate(SITES)])
    rng = random.Random(seed)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    sql = ("INSERT INTO articles(canonical_url, url, site, title, description, author, published_at, "
           "section, tags, language, text, captions, images, word_count, content_sha256, flags, "
           "first_seen_at, last_seen_at) VALUES (?,?,?,?,?,?,?,?,'[]','vi',?,'[]','[]',?,'',"
           "'[]',?,?)")
    for lo in range(0, articles, BATCH):
        rows = []
        for n in range(lo, min(articles, lo + BATCH)):
            words = rng.randint(150, 600)
            body = make_sentences(rng, vocab, weights, words)
            title = make_sentences(rng, vocab, weights, rng.randint(8, 14)).rstrip(".")
            desc = make_sentences(rng, vocab, weights, rng.randint(20, 35))
            url = f"https://{SITES[n % len(SITES)]}.vn/a-{n}.html"
            published = (start + timedelta(minutes=n * 5)).strftime("%Y-%m-%d %H:%M:%S")
            rows.append((url, url, SITES[n % len(SITES)], title, desc, "Phóng viên", published,
                         "Thời sự", body, words, now, now))
        conn.executemany(sql, rows)
        conn.commit()
    # Rows inserted in SQL, past the store, are not in the search index: index them in one go.
    conn.execute("INSERT INTO articles_fts(rowid, title, description, text, author) SELECT id, "
                 "baotinh_fold(title), baotinh_fold(description), baotinh_fold(text), baotinh_fold(author) "
                 "FROM articles")
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
    conn.commit()
    conn.close()
    return time.perf_counter() - t0
