"""``baotinh export`` as a user runs it: the demo paper crawled for real and exported to every
format, verification, refusals, and an export killed half way then run again."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from pipeline.archive import db, store
from pipeline.archive.models import Article, Source
from pipeline.record import RECORD_FIELDS
from pipeline.registry.provinces import province_at, province_now

from .conftest import ROOT, csv_row, run_cli


def archived_records(archive: Path) -> dict[str, dict[str, Any]]:
    engine = db.make_engine(f"sqlite:///{archive / 'baotinh.sqlite'}")
    with db.make_sessionmaker(engine)() as s:
        # The default export fields: the key, the record, then the province then and now (issue 16).
        sources = {src.id: src for src in s.scalars(select(Source))}
        out = {a.canonical_url: {
            "key": a.key, **store.article_to_record(a).as_dict(),
            "province": province_at(a.published_at, a.first_seen_at, sources[a.site or ""].province_before,
                                    sources[a.site or ""].province_after),
            "province_now": province_now(sources[a.site or ""].province_before, sources[a.site or ""].province_after),
        } for a in s.scalars(select(Article).order_by(Article.id))}
    engine.dispose()
    return out


@pytest.fixture(scope="module")
def crawled(demo_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo paper crawled once, copied for this module (exports only read the archive)."""
    archive = tmp_path_factory.mktemp("crawled") / "archive"
    shutil.copytree(demo_archive, archive)
    return archive


def test_demo_archive_round_trips_through_every_format(crawled: Path, tmp_path: Path) -> None:
    expected = archived_records(crawled)
    assert len(expected) >= 30
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / fmt
        result = run_cli("export", "--format", fmt, "--output", str(out), archive=crawled)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""  # no progress display when stderr is not a terminal
        assert f"exported {len(expected)} articles" in result.stdout
        path = out / f"articles-00000.{fmt}"
        if fmt == "jsonl":
            rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        elif fmt == "csv":
            with open(path, encoding="utf-8", newline="") as fh:
                rows = [csv_row(r) for r in csv.DictReader(fh)]
        else:
            rows = [{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in r.items()}
                    for r in pq.read_table(path).to_pylist()]
        assert {r["canonical_url"]: r for r in rows} == expected, fmt
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["command"].startswith("baotinh export --format " + fmt)
        assert manifest["sites"]["demo"]["articles"] == len(expected)
        assert manifest["crawl_runs"] and manifest["crawl_runs"][0]["site_id"] == "demo"
        ledger = manifest["coverage_ledger"]
        assert ledger is None or set(ledger) == {str(r["id"]) for r in manifest["crawl_runs"]}
        assert run_cli("export", "verify", str(out)).returncode == 0


def test_demo_captures_export_to_warc(crawled: Path, tmp_path: Path) -> None:
    con = sqlite3.connect(crawled / "baotinh.sqlite")
    captures = con.execute("select url, capture_warc, capture_offset, capture_length from articles "
                           "where capture_warc is not null").fetchall()
    total = con.execute("select count(*) from articles").fetchone()[0]
    con.close()
    if not captures:
        pytest.skip("this crawl writes no WARC captures yet (issue 5)")
    out = tmp_path / "warc"
    result = run_cli("export", "--format", "warc", "--output", str(out), "--shard-size", "10", archive=crawled)
    assert result.returncode == 0, result.stderr
    originals = {}
    for url, warc, offset, length in captures:
        with open(crawled / warc, "rb") as fh:
            fh.seek(offset)
            originals[url] = fh.read(length)
    copied = {}
    index = (out / "index.cdxj").read_text(encoding="utf-8").splitlines()
    for line in index:
        entry = json.loads(line.split(" ", 2)[2])
        raw = (out / entry["filename"]).read_bytes()
        data = raw[int(entry["offset"]):int(entry["offset"]) + int(entry["length"])]
        record = next(iter(ArchiveIterator(io.BytesIO(data))))
        assert record.rec_type == "response"
        copied[record.rec_headers.get_header("WARC-Target-URI")] = data
    assert len(copied) == len(captures) == total
    for url, data in originals.items():
        assert data in copied.values(), url
    for shard in sorted(out.glob("articles-*.warc.gz")):
        with gzip.open(shard, "rb") as fh:
            assert sum(1 for r in ArchiveIterator(fh) if r.rec_type == "response") <= 10


def test_verify_names_the_changed_shard(crawled: Path, tmp_path: Path) -> None:
    out = tmp_path / "p"
    assert run_cli("export", "--format", "parquet", "--output", str(out), "--shard-size", "10",
                   "--quiet", archive=crawled).stdout == ""
    ok = run_cli("export", "verify", str(out))
    assert ok.returncode == 0 and ok.stdout.startswith("ok: ")
    shard = out / "articles-00001.parquet"
    data = bytearray(shard.read_bytes())
    data[100] ^= 0xFF
    shard.write_bytes(bytes(data))
    bad = run_cli("export", "verify", str(out))
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: articles-00001.parquet: SHA-256 differs from the manifest"


def test_existing_output_is_refused_in_one_line(crawled: Path, tmp_path: Path) -> None:
    out = tmp_path / "j"
    assert run_cli("export", "--format", "jsonl", "--output", str(out), archive=crawled).returncode == 0
    again = run_cli("export", "--format", "jsonl", "--output", str(out), archive=crawled)
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "--overwrite" in again.stderr
    forced = run_cli("export", "--format", "csv", "--output", str(out), "--overwrite", "--bom", archive=crawled)
    assert forced.returncode == 0, forced.stderr
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "articles-00000.csv", "manifest.json"]


def test_bad_options_give_one_line(archive: Path, tmp_path: Path) -> None:
    cases = [
        ("--format", "jsonl", "--output", str(tmp_path / "a"), "--fields", "title,nope"),
        ("--format", "parquet", "--output", str(tmp_path / "b"), "--compress", "gz"),
        ("--output", str(tmp_path / "c")),
    ]
    for args in cases:
        result = run_cli("export", *args, archive=archive)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.strip(), args
    missing = run_cli("export", "verify", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no export manifest" in missing.stderr


def test_filters_and_fields_from_the_command_line(crawled: Path, tmp_path: Path) -> None:
    out = tmp_path / "f"
    result = run_cli("export", "--format", "jsonl", "--output", str(out), "--fields", "title,published_at",
                     "--from", "2024-01-01", "--site", "demo", archive=crawled)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(x) for x in (out / "articles-00000.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and all(list(r) == ["title", "published_at"] for r in rows)
    assert all(r["published_at"] >= "2024-01-01" for r in rows)
    everything = archived_records(crawled).values()
    assert len(rows) == sum(1 for r in everything if r["published_at"] and r["published_at"] >= "2024-01-01")


def test_killed_export_leaves_no_final_file_and_reruns(tmp_path: Path) -> None:
    from benchmarks.bench_export import generate_archive

    archive = tmp_path / "big"
    archive.mkdir()
    generate_archive(archive / "baotinh.sqlite", 12_000)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env.update(BAOTINH_ARCHIVE=str(archive), PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    args = [sys.executable, "-m", "pipeline", "export", "--format", "jsonl", "--output", str(out),
            "--shard-size", "1000", "--quiet"]
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    # Kill once the first shard is complete and the second is being written.
    while not (out / "articles-00001.jsonl.partial").exists():
        assert proc.poll() is None, "the export finished before it could be killed; use a bigger archive"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    names = sorted(p.name for p in out.iterdir())
    assert names and all(n.endswith(".partial") for n in names), names
    again = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert not list(out.glob("*.partial"))
    assert run_cli("export", "verify", str(out)).returncode == 0
    lines = sum(len(p.read_bytes().splitlines()) for p in out.glob("articles-*.jsonl"))
    assert lines == 12_000
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]["files"] == 13


def test_export_help_has_examples() -> None:
    result = run_cli("export", "--help")
    assert result.returncode == 0
    assert "baotinh export --format parquet" in result.stdout and "baotinh export verify" in result.stdout
    assert set(RECORD_FIELDS) >= {"url", "title"}


def test_cli_export_imports_before_cli() -> None:
    # A fresh interpreter: in this one pipeline.cli.main may already be loaded by other tests.
    code = ("import pipeline.cli.export as e, pipeline.cli.main as c; "
            "assert c.cli.commands['export'] is e.export; print('registered')")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "registered"


def test_progress_line_shows_rows_rate_and_eta(capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli.export import Progress

    progress = Progress()
    progress(500, 1000)
    progress(1000, 1000)
    progress.close()
    err = capsys.readouterr().err
    assert "500/1,000 rows (50%)" in err and "rows/s" in err and "ETA" in err
    # The last redraw is never throttled away, and the line ends once the export is done.
    assert "1,000/1,000 rows (100%)" in err and err.endswith("\n")
