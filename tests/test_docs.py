"""Every command is documented: help text with an example, and a mention in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from pipeline.cli.main import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, full + " ")
    return out


COMMANDS = _commands(cli)


def test_the_foundation_commands_exist() -> None:
    names = {n for n, _ in COMMANDS}
    assert {"demo", "crawl", "extract", "sites", "sites check", "stats", "db upgrade"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help_and_example(name: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 10, f"{name}: no help text"
    if isinstance(command, click.Group) and not command.invoke_without_command:
        return  # a pure group: its subcommands carry the examples
    assert command.epilog and "Example" in command.epilog, f"{name}: no example in its help"
    assert f"baotinh {name}" in command.epilog, f"{name}: the example does not show the command"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_is_in_the_readme(name: str, command: click.Command) -> None:
    assert f"baotinh {name}" in README, f"`baotinh {name}` is not in the README"


def test_readme_starts_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:12])
    assert "make run" in head and "make test" in head
