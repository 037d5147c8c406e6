"""Options shared by several commands (search and export filter the archive the same way)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn, TypeVar

import click

from pipeline.errors import BaotinhError

F = TypeVar("F", bound=Callable[..., Any])


def one_line(exc: click.ClickException) -> str:
    """The message of a click error as one line, naming the command's help for usage errors."""
    message = "; ".join(part.strip() for part in exc.format_message().splitlines() if part.strip())
    context = exc.ctx if isinstance(exc, click.UsageError) else None
    if context is not None:
        message += f" (see `{context.command_path} --help`)"
    return message


def _report_click_error(exc: click.ClickException) -> NoReturn:
    """Print a click error as the one ``error:`` line the README promises, and exit with its code.

    Click's own report takes three lines (usage, a hint, ``Error: …``); cron mail and scripts
    reading stderr get one line here, usage errors exit 2 as before.
    """
    click.echo(f"error: {one_line(exc)}", err=True)
    raise click.exceptions.Exit(exc.exit_code)


class BaotinhGroup(click.Group):
    """A group that turns library and usage errors into one line on stderr and their exit code."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise  # a bare group prints its help: not an error line
        except click.ClickException as exc:
            _report_click_error(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BaotinhError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.ClickException as exc:
            _report_click_error(exc)


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
                 help="Only articles of this province at publication (before 1 July 2025 the old "
                      "province, e.g. Hải Dương), diacritics optional (repeatable)."),
    click.option("--province-now", "provinces_now", multiple=True, metavar="NAME",
                 help="Only papers of this province today, after the 2025 merger (e.g. Hải Phòng; repeatable)."),
    click.option("--from", "date_from", callback=parse_date, metavar="YYYY-MM-DD", help="Published on or after."),
    click.option("--to", "date_to", callback=parse_date, metavar="YYYY-MM-DD", help="Published on or before."),
    click.option("--author", help="Author contains this (diacritics optional)."),
    click.option("--section", help="Section name (diacritics optional)."),
    click.option("--tag", help="Articles with this tag (diacritics optional)."),
    click.option("--language", help="Language code, e.g. vi."),
    click.option("--no-duplicates", is_flag=True, help="Leave out near-duplicate (syndicated) copies."),
)


def filter_options(f: F) -> F:
    """The archive filters of ``baotinh search`` and ``baotinh export``, in one place."""
    for option in reversed(_FILTERS):
        f = option(f)
    return f
