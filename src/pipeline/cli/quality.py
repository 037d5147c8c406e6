"""``baotinh eval``: extraction quality on the golden set, beside trafilatura alone."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.errors import ExitCode, InputError

DEFAULT_GOLDEN = Path("tests/golden")


@click.command("eval", epilog="\b\nExamples:\n  baotinh eval\n  baotinh eval --golden tests/golden --no-details")
@click.option("--golden", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_GOLDEN,
              show_default=True, help="Golden set folder (pages/, expected/, baseline.json).")
@click.option("--details/--no-details", default=True, help="List the pages that miss a field.")
@click.option("--no-trafilatura", is_flag=True, help="Skip the trafilatura-alone comparison.")
def eval_command(golden: Path, details: bool, no_trafilatura: bool) -> None:
    """Per-field accuracy and body precision/recall/F1 on the golden set; exit 1 below the floors."""
    from pipeline.extract.evaluate import below_floor, evaluate_golden, format_report, load_baseline

    if not (golden / "expected").is_dir():
        raise InputError(f"no golden set at {golden} (expected {golden}/expected/*.json); use --golden")
    report = evaluate_golden(golden, compare_trafilatura=not no_trafilatura)
    baseline_file = golden / "baseline.json"
    baseline = load_baseline(baseline_file) if baseline_file.exists() else None
    click.echo(format_report(report, baseline=baseline, details=details))
    if baseline is not None:
        failures = below_floor(report, baseline)
        if failures:
            click.echo(f"error: below the floor: {', '.join(failures)}", err=True)
            raise SystemExit(ExitCode.FAILED)


COMMANDS = [eval_command]
