"""Options shared by several commands (search and export filter the archive the same way)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

from pipeline.errors import BaotinhError

F = TypeVar("F", bound=Callable[..., Any])


class BaotinhGroup(click.Group):
    """A group that turns library errors into one line on stderr and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BaotinhError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` option value (day-month order is never guessed)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


_FILTERS: tuple[Callable[[F], F], ...] = (
    click.option("--site", "sites", multiple=True, metavar="ID", help="Only this site (repeatable)."),
    click.option("--province", "provinces", multiple=True, metavar="NAME",
                 help="Only papers of this province, old or new name, diacritics optional (repeatable)."),
    click.option("--from", "date_from", callback=parse_date, metavar="YYYY-MM-DD", help="Published on or after."),
    click.option("--to", "date_to", callback=parse_date, metavar="YYYY-MM-DD", help="Published on or before."),
    click.option("--author", help="Author contains this (diacritics optional)."),
    click.option("--section", help="Section name (diacritics optional)."),
    click.option("--language", help="Language code, e.g. vi."),
    click.option("--no-duplicates", is_flag=True, help="Leave out near-duplicate (syndicated) copies."),
)


def filter_options(f: F) -> F:
    """The archive filters of ``baotinh search`` and ``baotinh export``, in one place."""
    for option in reversed(_FILTERS):
        f = option(f)
    return f
