"""``python -m benchmarks.bench_reliability``: kill -9 / restart cycles, then compare the archive.

The demo paper is served on 127.0.0.1 with a delay per article, so that a kill lands mid-crawl.
Each cycle takes one operation in turn — ``baotinh crawl`` (into a fresh archive), ``baotinh
reextract`` or ``baotinh export`` — starts it in its own process group, kills the whole group
with SIGKILL at a random moment (fixed seed), runs it again to completion, and checks the archive
against an uninterrupted run's: the same canonical URLs and content hashes, rows = distinct URLs,
``baotinh verify`` exit 0, ``PRAGMA integrity_check`` ok (SQLite), ``baotinh export verify`` ok
and no ``*.partial`` file left. On SQLite and on PostgreSQL (a scratch database per run on
127.0.0.1:5432, dropped after). The outcome goes to ``benchmarks/RELIABILITY.md``.

    python -m benchmarks.bench_reliability                # 50 cycles per database
    python -m benchmarks.bench_reliability --quick        # 5 cycles per database
    python -m benchmarks.bench_reliability --cycles 20 --backend sqlite --max-seconds 600
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT_FILE = Path(__file__).resolve().parent / "RELIABILITY.md"
PG_ADMIN_URL = os.environ.get("BAOTINH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PHASES = ("crawl", "reextract", "export")
BACKENDS = ("sqlite", "postgresql")
SEED = 20261129
ARTICLE_DELAY = 0.25  # seconds the demo server waits before each article
RUN_TIMEOUT = 240.0  # seconds any one command may take before the benchmark gives up on it
PARTIAL_SUFFIX = ".partial"
EX_LOCKED = 75  # README "Exit codes": another crawl holds the archive
LOCK_PATIENCE = 60.0  # seconds a rerun keeps trying while it is told "locked"


# -- the archive under test -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    """One archive: a folder (captures, logs) and, on PostgreSQL, a database URL."""

    backend: str
    archive: Path
    db_url: str | None = None

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its database."""
        return self.db_url or f"sqlite:///{self.archive / 'baotinh.sqlite'}"

    def env(self) -> dict[str, str]:
        """The environment of a ``baotinh`` command on this archive (no other BAOTINH_*)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
        env["BAOTINH_ARCHIVE"] = str(self.archive)
        if self.db_url:
            env["BAOTINH_DB"] = self.db_url
        return env


def _pg_admin_url_for(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _pg_execute(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def pg_available() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        _pg_execute("select 1")
    except Exception as exc:  # any failure means: no usable server
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


@contextmanager
def scratch_target(backend: str, folder: Path) -> Iterator[Target]:
    """An empty archive in ``folder`` (a fresh PostgreSQL database, dropped on exit)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if backend == "sqlite":
        yield Target(backend, folder)
        return
    name = f"baotinh_rel_{uuid.uuid4().hex[:10]}"
    _pg_execute(f'CREATE DATABASE "{name}"')
    try:
        yield Target(backend, folder, _pg_admin_url_for(name))
    finally:
        _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_target(target: Target) -> None:
    """Empty ``target`` again: its folder and every table of its database."""
    for child in target.archive.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    if target.db_url:
        from sqlalchemy import create_engine, text

        engine = create_engine(target.db_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()


# -- the commands ---------------------------------------------------------------------------
def command(phase: str, origin: str, export_dir: Path) -> list[str]:
    """The ``baotinh`` command line of ``phase``."""
    base = [sys.executable, "-m", "pipeline"]
    if phase == "crawl":
        return [*base, "crawl", "demo", "--origin", origin, "--workers", "0", "--delay", "0.01", "--quiet"]
    if phase == "reextract":
        return [*base, "reextract", "--site", "demo"]
    return [*base, "export", "--format", "jsonl", "--output", str(export_dir), "--overwrite", "--quiet"]


@dataclass(frozen=True, slots=True)
class Killed:
    """One kill: when it was aimed, and whether the command was still running then."""

    at: float
    landed: bool  # the process group was still running (a real mid-run kill)


def process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it (read from ``/proc``)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        fields = text[text.rindex(")") + 2:].split()
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += children
        frontier = children
    return tree


def kill_tree(root: int) -> None:
    """SIGKILL every process group of ``root``'s tree: the CLI's own group and the crawler
    child's (``baotinh crawl`` starts it as the leader of a group of its own), workers included."""
    groups = set()
    for pid in process_tree(root):
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(pid))
    groups.add(root)
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


def run_and_kill(argv: Sequence[str], env: dict[str, str], at: float) -> Killed:
    """Start ``argv`` in a new process group and SIGKILL its whole tree ``at`` seconds later."""
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=at)
        landed = False
    except subprocess.TimeoutExpired:
        landed = True
    kill_tree(proc.pid)
    proc.wait()
    return Killed(at, landed)


@dataclass(frozen=True, slots=True)
class Finished:
    """A command run to completion."""

    returncode: int
    seconds: float
    stderr: str


def run_to_end(argv: Sequence[str], env: dict[str, str]) -> Finished:
    """Run ``argv`` to completion (bounded by :data:`RUN_TIMEOUT`) in its own process group."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        return Finished(-9, time.monotonic() - started, "timed out")
    return Finished(proc.returncode, time.monotonic() - started, err.decode("utf-8", "replace").strip())


# -- what the archive holds -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Snapshot:
    """The articles of an archive: (canonical URL, content hash) pairs and the row count."""

    pairs: frozenset[tuple[str, str]]
    rows: int
    distinct_urls: int


def snapshot(target: Target) -> Snapshot:
    """Read the articles table of ``target`` (empty when there is no table yet)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(target.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("select canonical_url, content_sha256 from articles")).all()
    except Exception:  # no database or no table yet: nothing archived
        rows = []
    finally:
        engine.dispose()
    pairs = frozenset((str(url), str(digest)) for url, digest in rows)
    return Snapshot(pairs, len(rows), len({url for url, _ in rows}))


def integrity(target: Target) -> str:
    """``PRAGMA integrity_check`` of a SQLite archive ("ok"; "-" on PostgreSQL)."""
    if target.db_url:
        return "-"
    conn = sqlite3.connect(target.archive / "baotinh.sqlite")
    try:
        return ", ".join(str(r[0]) for r in conn.execute("pragma integrity_check"))
    finally:
        conn.close()


def partial_files(folder: Path) -> list[Path]:
    """Files left under a ``*.partial`` name in an export folder."""
    return sorted(folder.glob("*" + PARTIAL_SUFFIX)) if folder.exists() else []


def export_rows(folder: Path) -> int:
    """Rows in the JSONL files listed by an export's manifest (not its README)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    total = 0
    for entry in manifest["files"]:
        if not str(entry["path"]).endswith(".jsonl"):
            continue
        with open(folder / entry["path"], "rb") as fh:
            total += sum(1 for line in fh if line.strip())
    return total


def cli_in_process(target: Target, *args: str) -> Finished:
    """``baotinh ARGS`` on ``target``, run by the real CLI in this process: the checks after each
    cycle (``verify``, ``export verify``) need no new interpreter (≈2 s each on a loaded machine);
    the commands that are killed still run in processes of their own."""
    from click.testing import CliRunner

    from pipeline.cli.main import cli

    started = time.monotonic()
    env = {"BAOTINH_ARCHIVE": str(target.archive), "BAOTINH_DB": target.db_url}
    result = CliRunner(env=env).invoke(cli, list(args), prog_name="baotinh")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"{type(result.exception).__name__}: {result.exception}"
    return Finished(result.exit_code, time.monotonic() - started, stderr.strip())


def export_verified(target: Target, folder: Path) -> bool:
    """``baotinh export verify`` exit 0."""
    return cli_in_process(target, "export", "verify", str(folder), "--quiet").returncode == 0


# -- one cycle ------------------------------------------------------------------------------
@dataclass(slots=True)
class Tally:
    """What the cycles of one phase on one database saw."""

    cycles: int = 0
    landed: int = 0  # kills that found the command still running
    mid_work: int = 0  # crawl: kills that left some but not all articles archived
    resumed_ok: int = 0  # the run after the kill exited 0
    locked_reruns: int = 0  # the run after the kill was first told "locked" (75)
    urls_lost: int = 0  # baseline URLs missing after the resumed run (summed over cycles)
    hash_mismatches: int = 0  # (URL, hash) pairs differing from the baseline's
    duplicate_rows: int = 0  # rows beyond one per distinct URL
    verify_failed: int = 0
    integrity_failed: int = 0
    export_failed: int = 0  # export verify failed, rows differ, or *.partial left after the rerun
    torn_after_kill: int = 0  # export folder not verifiable right after a kill (before the rerun)
    problems: list[str] = field(default_factory=list)

    @property
    def lost_nothing(self) -> bool:
        return not (self.urls_lost or self.hash_mismatches or self.duplicate_rows or self.verify_failed
                    or self.integrity_failed or self.export_failed or self.resumed_ok < self.cycles)


@dataclass(frozen=True, slots=True)
class Baseline:
    """An uninterrupted run: its articles and how long each phase took."""

    snapshot: Snapshot
    seconds: dict[str, float]


@dataclass(slots=True)
class Bench:
    """One database's cycles: where they run, the baseline, the random source, the tallies."""

    target: Target
    origin: str
    baseline: Baseline
    rng: random.Random
    tallies: dict[str, Tally] = field(default_factory=lambda: {p: Tally() for p in PHASES})

    @property
    def export_dir(self) -> Path:
        return self.target.archive.parent / f"export-{self.target.backend}"

    def argv(self, phase: str) -> list[str]:
        return command(phase, self.origin, self.export_dir)


def kill_moment(rng: random.Random, seconds: float) -> float:
    """A random moment within an uninterrupted run of ``seconds`` (start-up included)."""
    return rng.uniform(0.2, max(0.4, seconds))


def cycle(bench: Bench, phase: str) -> None:
    """Kill ``phase`` once at a random moment, run it to completion, check the archive."""
    tally = bench.tallies[phase]
    tally.cycles += 1
    target = bench.target
    if phase == "crawl":
        reset_target(target)
    killed = run_and_kill(bench.argv(phase), target.env(), kill_moment(bench.rng, bench.baseline.seconds[phase]))
    tally.landed += killed.landed
    if phase == "crawl":
        at_kill = snapshot(target).distinct_urls
        tally.mid_work += 0 < at_kill < len(bench.baseline.snapshot.pairs)
    if phase == "export" and killed.landed and (bench.export_dir / "manifest.json").exists():
        tally.torn_after_kill += not export_verified(target, bench.export_dir)
    done = rerun(bench.argv(phase), target.env(), tally)
    if done.returncode == 0:
        tally.resumed_ok += 1
    else:
        tally.problems.append(f"{phase} after the kill exited {done.returncode}: {done.stderr[-200:]}")
    check_archive(bench, tally)
    if phase == "export":
        check_export(bench, tally)


def rerun(argv: Sequence[str], env: dict[str, str], tally: Tally) -> Finished:
    """Run ``argv`` to completion; while it is told "locked" (75), try again, for
    :data:`LOCK_PATIENCE` seconds at most, as the next cron run would."""
    patience = time.monotonic() + LOCK_PATIENCE
    done = run_to_end(argv, env)
    if done.returncode == EX_LOCKED:
        tally.locked_reruns += 1
    while done.returncode == EX_LOCKED and time.monotonic() < patience:
        time.sleep(1.0)
        done = run_to_end(argv, env)
    return done


def check_archive(bench: Bench, tally: Tally) -> None:
    """Compare the archive with the baseline's; run ``verify`` and the integrity check."""
    now = snapshot(bench.target)
    want = bench.baseline.snapshot.pairs
    want_urls = {url for url, _ in want}
    tally.urls_lost += len(want_urls - {url for url, _ in now.pairs})
    now_hash = dict(now.pairs)
    tally.hash_mismatches += sum(1 for url, digest in want if url in now_hash and now_hash[url] != digest)
    tally.duplicate_rows += now.rows - now.distinct_urls
    verify = cli_in_process(bench.target, "verify")
    if verify.returncode != 0:
        tally.verify_failed += 1
        tally.problems.append(f"verify exited {verify.returncode}: {verify.stderr[-200:]}")
    check = integrity(bench.target)
    if check not in ("ok", "-"):
        tally.integrity_failed += 1
        tally.problems.append(f"integrity_check: {check[:200]}")


def check_export(bench: Bench, tally: Tally) -> None:
    """The export after its rerun: verified, as many rows as articles, no ``*.partial`` left."""
    folder = bench.export_dir
    ok = export_verified(bench.target, folder) and not partial_files(folder)
    if ok and export_rows(folder) != bench.baseline.snapshot.rows:
        ok = False
    if not ok:
        tally.export_failed += 1
        tally.problems.append(f"export in {folder} not intact after the rerun")


# -- a whole run per database ---------------------------------------------------------------
def measure_baseline(target: Target, origin: str, export_dir: Path, phases: Sequence[str] = PHASES) -> Baseline:
    """Run the crawl and the other ``phases`` once, uninterrupted; raise when one fails."""
    seconds: dict[str, float] = {}
    for phase in ("crawl", *(p for p in phases if p != "crawl")):
        done = run_to_end(command(phase, origin, export_dir), target.env())
        if done.returncode != 0:
            raise RuntimeError(f"the uninterrupted {phase} exited {done.returncode}: {done.stderr[-300:]}")
        seconds[phase] = done.seconds
    return Baseline(snapshot(target), seconds)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The cycles on one database."""

    backend: str
    cycles: int
    seconds: float
    baseline: Baseline
    tallies: dict[str, Tally]
    capped: bool  # stopped by the time cap before all cycles ran

    @property
    def lost_nothing(self) -> bool:
        return all(t.lost_nothing for t in self.tallies.values())


def run_backend(backend: str, *, cycles: int, deadline: float, work: Path, seed: int = SEED,
                phases: Sequence[str] = PHASES, article_delay: float = ARTICLE_DELAY) -> Outcome:
    """Serve the demo paper, take a baseline, then run ``cycles`` kill / restart cycles of
    ``phases`` in turn (stopping at ``deadline``, a ``time.monotonic()`` value)."""
    from pipeline.demo import DemoSite, Misbehaviour, serve_site

    started = time.monotonic()
    with serve_site(DemoSite(), misbehaviour=Misbehaviour(delay=article_delay)) as server:
        with scratch_target(backend, work / f"baseline-{backend}") as clean:
            baseline = measure_baseline(clean, server.base_url, work / f"export-baseline-{backend}", phases)
        with scratch_target(backend, work / f"archive-{backend}") as target:
            bench = Bench(target, server.base_url, baseline, random.Random(f"{seed}-{backend}"))
            if phases[0] != "crawl":  # the other commands need an archive to work on
                run_to_end(command("crawl", server.base_url, bench.export_dir), target.env())
            done = 0
            while done < cycles and time.monotonic() < deadline:
                cycle(bench, phases[done % len(phases)])
                done += 1
    return Outcome(backend, done, time.monotonic() - started, baseline, bench.tallies, done < cycles)


# -- the report -----------------------------------------------------------------------------
def render_report(outcomes: Sequence[Outcome], *, seed: int, requested: int, notes: Sequence[str]) -> str:
    """``RELIABILITY.md``: the faults tried, the cycles, what was lost."""
    lines = [
        "# Reliability: kill -9 / restart cycles",
        "",
        f"Written by `python -m benchmarks.bench_reliability` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"seed {seed}, {requested} cycles asked per database.",
        "",
        "**Fault**: every process group of the command's tree (the CLI's, and the crawler child's, which",
        "leads a group of its own; workers and writer included) gets SIGKILL at a random moment of an",
        "uninterrupted run's duration (a crash, an OOM kill, a pulled plug); then the same command runs",
        "to completion (retried for up to 60 s while it exits 75, locked, as the next cron run would).",
        "Cycles take in turn `baotinh crawl` (a fresh archive each time; the",
        f"demo paper on 127.0.0.1 answers each article after {ARTICLE_DELAY} s), `baotinh reextract --site demo`",
        "and `baotinh export --format jsonl --overwrite` (into the same folder each time).",
        "",
        "**Checked after every cycle**, against an uninterrupted run's archive: the same canonical URLs",
        "and `content_sha256`, rows = distinct URLs, `baotinh verify` exit 0, `PRAGMA integrity_check`",
        "ok (SQLite); after an export cycle also `baotinh export verify` ok, one JSONL row per article",
        "and no `*.partial` file left.",
        "",
        "| database | command killed | cycles | kills mid-run | crawl kills with part archived "
        "| reruns exit 0 | reruns first locked (75) | URLs lost | hash mismatches | duplicate rows | verify failed "
        "| integrity failed | export not intact | export torn right after a kill |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for o in outcomes:
        for phase, t in o.tallies.items():
            if not t.cycles:
                continue
            mid = str(t.mid_work) if phase == "crawl" else "-"
            torn = str(t.torn_after_kill) if phase == "export" else "-"
            lines.append(f"| {o.backend} | {phase} | {t.cycles} | {t.landed} | {mid} | {t.resumed_ok} | "
                         f"{t.locked_reruns} | {t.urls_lost} | {t.hash_mismatches} | {t.duplicate_rows} | "
                         f"{t.verify_failed} | {t.integrity_failed} | {t.export_failed} | {torn} |")
    lines += ["", "## Outcome", ""]
    for o in outcomes:
        verdict = "nothing lost" if o.lost_nothing else "LOSSES OR DAMAGE (see problems)"
        capped = " (stopped by the time cap)" if o.capped else ""
        base = ", ".join(f"{p} {s:.1f} s" for p, s in o.baseline.seconds.items())
        lines.append(f"- **{o.backend}**: {o.cycles} cycles in {o.seconds:.0f} s{capped}: {verdict}. "
                     f"Baseline: {o.baseline.snapshot.rows} articles; uninterrupted {base}.")
        for t in o.tallies.values():
            lines += [f"  - problem: {p}" for p in t.problems[:10]]
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def run(cycles: int = 5, max_seconds: float = 600.0) -> list[dict[str, object]]:
    """Rows for ``python -m benchmarks`` (see ``bench_module``): the quick cycles per database."""
    rows: list[dict[str, object]] = []
    deadline = time.monotonic() + max_seconds
    with tempfile.TemporaryDirectory(prefix="baotinh-reliability-") as tmp:
        for backend in BACKENDS:
            if backend == "postgresql" and pg_available():
                continue
            o = run_backend(backend, cycles=cycles, deadline=deadline, work=Path(tmp))
            lost = sum(t.urls_lost + t.hash_mismatches + t.duplicate_rows for t in o.tallies.values())
            rows.append({"name": f"kill -9 / restart cycles, {backend}", "unit": "cycles", "value": o.cycles})
            rows.append({"name": f"articles lost or changed after the cycles, {backend}", "unit": "rows",
                         "value": lost, "target": "0", "higher_is_better": False})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_reliability", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cycles", type=int, default=50, help="Cycles per database (default 50).")
    p.add_argument("--quick", action="store_true", help="5 cycles per database.")
    p.add_argument("--backend", action="append", choices=BACKENDS, help="Only this database (repeatable).")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--max-seconds", type=float, default=2400.0, help="Total time cap (default 2400).")
    p.add_argument("--no-write", action="store_true", help="Print, leave RELIABILITY.md alone.")
    args = p.parse_args(argv)
    cycles = 5 if args.quick else args.cycles
    backends = args.backend or list(BACKENDS)
    started = time.monotonic()
    notes: list[str] = []
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="baotinh-reliability-") as tmp:
        for n, backend in enumerate(backends):
            reason = pg_available() if backend == "postgresql" else None
            if reason:
                notes.append(f"{reason}: not measured on PostgreSQL")
                continue
            # each database gets an equal share of what is left of the time cap
            left = started + args.max_seconds - time.monotonic()
            deadline = time.monotonic() + left / (len(backends) - n)
            print(f"{backend}: {cycles} cycles, {left / (len(backends) - n):.0f} s at most …", flush=True)
            outcomes.append(run_backend(backend, cycles=cycles, deadline=deadline, work=Path(tmp), seed=args.seed))
    report = render_report(outcomes, seed=args.seed, requested=cycles, notes=notes)
    print(report)
    if not args.no_write:
        REPORT_FILE.write_text(report, encoding="utf-8")
        print(f"wrote {REPORT_FILE}")
    return 0 if all(o.lost_nothing for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
