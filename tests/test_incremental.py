"""Incremental and resumable crawling: the frontier, conditional GET, SIGKILL half way."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.crawling.frontier import FrontierState, decide_fetch, next_due_at, url_key
from pipeline.demo import DemoSite, load_demo_articles, serve_site
from pipeline.demo.misbehaviour import is_article_path
from pipeline.demo.server import AccessRecord

from .conftest import ROOT, ServedSite, run_cli

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

NEW_ARTICLES = (
    (990001, "kinh-te", "hop-tac-xa-rau-sach-an-phu", "Hợp tác xã rau sạch An Phú mở rộng vùng trồng",
     "Hợp tác xã rau sạch An Phú vừa mở rộng thêm mười héc-ta nhà màng, đưa tổng diện tích trồng rau theo "
     "tiêu chuẩn VietGAP lên gần bốn mươi héc-ta, cung cấp cho các bếp ăn tập thể trong tỉnh."),
    (990002, "xa-hoi", "truong-mam-non-hoa-sen-khanh-thanh", "Trường mầm non Hoa Sen khánh thành cơ sở mới",
     "Sáng nay, trường mầm non Hoa Sen khánh thành cơ sở mới với mười hai phòng học, bếp ăn một chiều và "
     "sân chơi rộng, đáp ứng nhu cầu gửi trẻ của công nhân các khu công nghiệp lân cận."),
    (990003, "chinh-tri", "hoi-nghi-tiep-xuc-cu-tri-cuoi-nam", "Đại biểu HĐND tỉnh tiếp xúc cử tri cuối năm",
     "Tổ đại biểu HĐND tỉnh đã tiếp xúc cử tri ba xã phía nam, ghi nhận nhiều kiến nghị về đường giao "
     "thông nông thôn, nước sạch và chính sách hỗ trợ người cao tuổi neo đơn."),
)
FILLER = (
    "Theo lãnh đạo địa phương, kết quả này có được nhờ sự vào cuộc đồng bộ của cả hệ thống chính trị và "
    "sự đồng thuận của người dân. Trong thời gian tới, địa phương tiếp tục huy động các nguồn lực, tạo "
    "điều kiện thuận lợi để mô hình được nhân rộng, góp phần nâng cao đời sống vật chất và tinh thần của nhân dân.",
    "Nhiều người dân bày tỏ phấn khởi và mong muốn chính quyền tiếp tục quan tâm, hỗ trợ để các công trình, "
    "mô hình phát huy hiệu quả lâu dài. Các ngành chức năng cũng được giao theo dõi, kiểm tra và báo cáo định kỳ.",
)


def write_new_articles(folder: Path) -> list[str]:
    """Add three articles to a demo articles folder; return their URL paths."""
    published = datetime.now(timezone(timedelta(hours=7))).replace(microsecond=0) - timedelta(hours=1)
    paths = []
    for n, (aid, section, slug, title, lead) in enumerate(NEW_ARTICLES):
        paragraphs = ",\n".join(f"  {json.dumps(p, ensure_ascii=False)}" for p in (lead, *FILLER))
        (folder / f"{aid}-{slug}.toml").write_text(
            f"id = {aid}\nsection = \"{section}\"\nslug = \"{slug}\"\ntitle = {json.dumps(title, ensure_ascii=False)}\n"
            f"published = \"{(published - timedelta(minutes=n)).isoformat()}\"\n"
            f"byline = \"PV\"\ntags = [\"Tin mới\"]\nnfd = false\nparagraphs = [\n{paragraphs},\n]\n\n"
            f"[expected]\nauthor = \"PV\"\n", encoding="utf-8")
        paths.append(f"/{section}/{slug}-{aid}.html")
    return paths


# -- the schedule and the fetch decision (no network) -----------------------------------------
def test_recheck_schedule_backs_off_then_stops() -> None:
    assert next_due_at(published_at=T0, fetched_at=T0 + timedelta(hours=1)) == T0 + timedelta(days=1)
    assert next_due_at(published_at=T0, fetched_at=T0 + timedelta(days=2)) == T0 + timedelta(days=7)
    assert next_due_at(published_at=T0, fetched_at=T0 + timedelta(days=8)) == T0 + timedelta(days=30)
    assert next_due_at(published_at=T0, fetched_at=T0 + timedelta(days=31)) is None
    # without a publication date the clock starts at first sight
    assert next_due_at(published_at=None, first_seen_at=T0, fetched_at=T0) == T0 + timedelta(days=1)


def test_fetch_decision() -> None:
    fetched = T0 + timedelta(hours=2)
    state = FrontierState("/a-1.html", fetched, T0 + timedelta(days=1), '"abc"', "Sat, 01 Mar 2025 08:00:00 GMT",
                          "archived")
    assert decide_fetch(None, now=T0).fetch
    assert decide_fetch(state, now=T0 + timedelta(hours=5)) .reason == "not_due"
    due = decide_fetch(state, now=T0 + timedelta(days=1, minutes=1))
    assert due.fetch and due.etag == '"abc"' and due.last_modified
    assert decide_fetch(state, now=T0 + timedelta(hours=5), refresh=True).fetch
    # a sitemap lastmod: newer → fetch now; not newer → unchanged, even when due
    assert decide_fetch(state, now=T0 + timedelta(hours=5), changed_at=fetched + timedelta(minutes=1)).fetch
    assert decide_fetch(state, now=T0 + timedelta(days=2), changed_at=T0).reason == "unchanged"
    # a feed date only says "newer": an older one falls back on the schedule
    assert decide_fetch(state, now=T0 + timedelta(days=2), changed_at=T0, lastmod=False).fetch
    never = FrontierState("/b-2.html", fetched, None, None, None, "archived")
    assert decide_fetch(never, now=T0 + timedelta(days=400)).reason == "not_due"
    assert url_key("http://127.0.0.1:9/x/a-1.html?p=2#c") == "/x/a-1.html?p=2"


# -- acceptance 1: add three articles, crawl again -------------------------------------------
def _run_id(stdout: str) -> int:
    match = re.search(r"\(run (\d+)\)", stdout)
    assert match, stdout
    return int(match.group(1))


def _article_paths(requests: list[dict[str, object]]) -> set[str]:
    return {str(r["path"]) for r in requests if re.match(r"^/[a-z0-9-]+/[a-z0-9-]+-\d+\.html$", str(r["path"]))}


@pytest.mark.slow
def test_second_run_fetches_only_new_articles_and_the_listings(demo_server: ServedSite, archive: Path) -> None:
    first = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--workers", "0",
                    archive=archive)
    assert first.returncode == 0, first.stderr
    before = len(demo_server.requests())
    old_paths = {a.path for a in load_demo_articles(demo_server.articles_dir)}
    assert _article_paths(demo_server.requests()) == old_paths

    new_paths = write_new_articles(demo_server.articles_dir)
    second = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--workers", "0",
                     archive=archive)
    assert second.returncode == 0, second.stderr
    requests = demo_server.requests()[before:]
    paths = {str(r["path"]) for r in requests}
    assert _article_paths(requests) == set(new_paths)  # the new ones, none of the unchanged
    assert {"/", "/chinh-tri", "/rss/home.rss", "/sitemap.xml", "/sitemap-news.xml"} <= paths

    shown = run_cli("runs", "show", str(_run_id(second.stdout)), "--json", archive=archive)
    assert shown.returncode == 0, shown.stderr
    ledger = json.loads(shown.stdout)
    assert ledger["new"] == 3 and ledger["totals"]["new"] == {"": 3}
    assert sum(ledger["totals"]["fetched"].values()) == 3
    assert sum(ledger["totals"]["skipped"].values()) == len(old_paths)
    assert set(ledger["totals"]["skipped"]) <= {"not_due", "unchanged"}
    assert set(ledger["totals"]["discovered"]) <= {"sitemap", "feed", "listing"}
    sections = {row["section"] for row in ledger["ledger"] if row["metric"] == "new"}
    assert sections == {"kinh-te", "xa-hoi", "chinh-tri"}

    listed = run_cli("runs", "--json", archive=archive)
    runs = [json.loads(x) for x in listed.stdout.splitlines()]
    assert [(r["status"], r["new"]) for r in runs] == [("ok", 3), ("ok", len(old_paths))]


@pytest.mark.slow
def test_refresh_uses_conditional_get(demo_server: ServedSite, archive: Path) -> None:
    assert run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--workers", "0",
                   archive=archive).returncode == 0
    before = len(demo_server.requests())
    again = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--workers", "0", "--refresh",
                    "--quiet", archive=archive)
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""  # --quiet: nothing unless something is wrong
    articles = [r for r in demo_server.requests()[before:] if str(r["path"]) in _article_paths([r])]
    assert articles and all(r["status"] == 304 for r in articles)
    assert all("If-None-Match" in r["headers"] for r in articles)  # type: ignore[operator]
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    run_id = conn.execute("select max(id) from crawl_runs").fetchone()[0]
    unchanged = conn.execute("select sum(count) from crawl_ledger where run_id=? and metric='unchanged' "
                             "and reason='not_modified'", (run_id,)).fetchone()[0]
    conn.close()
    assert unchanged == len(articles)


# -- acceptance 2: SIGKILL half way, then resume ----------------------------------------------
def _crawl_cmd(origin: str, archive: Path) -> list[str]:
    return [sys.executable, "-m", "crawler", "--site", "demo", "--origin", origin, "--workers", "0",
            "--log-file", str(archive / "crawl.log"), "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "DOWNLOAD_DELAY=0.01", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
            # small batches: what is fetched is archived (and marked done) within a second
            "-s", "BAOTINH_STORE_BATCH=2", "-s", "BAOTINH_STORE_INTERVAL=0.5"]


def _env(archive: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env["BAOTINH_ARCHIVE"] = str(archive)
    return env


def _archived(archive: Path) -> list[tuple[str, str]]:
    path = archive / "baotinh.sqlite"
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select canonical_url, content_sha256 from articles order by canonical_url").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_half_way_then_resume_equals_an_uninterrupted_crawl(demo_articles: Path, tmp_path: Path) -> None:
    total = len(load_demo_articles(demo_articles))
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    killed.mkdir()
    clean.mkdir()
    slow = threading.Event()  # articles answer slowly until the kill, then at full speed
    slow.set()

    def slow_articles(request: AccessRecord) -> None:
        if slow.is_set() and is_article_path(request.path):
            time.sleep(0.4)

    with serve_site(DemoSite(demo_articles), on_request=slow_articles) as server:
        proc = subprocess.Popen(_crawl_cmd(server.base_url, killed), cwd=ROOT, env=_env(killed),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while len(_archived(killed)) < total // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        slow.clear()
        done_before = {url.removeprefix("http://demo.baotinh.test") for url, _ in _archived(killed)}
        assert total // 3 <= len(done_before) < total, "the kill must land half way"
        first_hits = len(server.access_log.records())

        resumed = subprocess.run(_crawl_cmd(server.base_url, killed), cwd=ROOT, env=_env(killed),
                                 capture_output=True, timeout=300, check=False)
        assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
        second_paths = [h.path for h in server.access_log.records()[first_hits:]]

        uninterrupted = subprocess.run(_crawl_cmd(server.base_url, clean), cwd=ROOT, env=_env(clean),
                                       capture_output=True, timeout=300, check=False)
        assert uninterrupted.returncode == 0

    # nothing lost, nothing duplicated: the same articles with the same content
    assert _archived(killed) == _archived(clean)
    assert len(_archived(killed)) == total
    # the resumed run did not fetch again what the killed one had archived
    assert not done_before & set(second_paths)
    conn = sqlite3.connect(killed / "baotinh.sqlite")
    runs = conn.execute("select status from crawl_runs order by id").fetchall()
    frontier_rows = conn.execute("select count(*), count(distinct url_key) from frontier").fetchone()
    conn.close()
    assert [r[0] for r in runs] == ["interrupted", "ok"]
    assert frontier_rows == (total, total)
