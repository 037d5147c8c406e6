"""``baotinh serve``: the read-only web UI and JSON API over the archive."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from sqlalchemy.engine import make_url

__all__ = ["COMMANDS", "serve", "shown_database"]


def shown_database(database_url: str) -> str:
    """The archive as the operator named it: the SQLite file's path, or the URL without password.

    The engine's own URL is the internal read-only form (``file:…?mode=ro&uri=true``), which
    names nothing the operator typed.
    """
    from pipeline.archive.db import shown_url

    url = make_url(database_url)
    is_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    return str(Path(shown_url(url)).resolve()) if is_file else shown_url(url)


@click.command(epilog="""\b
Examples:
  baotinh serve                       # http://127.0.0.1:8080/
  baotinh serve --port 9000 --lang en
  baotinh --archive /data/archive serve --host 0.0.0.0
""")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the archive to the network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="TCP port (0: any free port).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None,
              help="Open the printed URL in this interface language (visitors can switch).")
@click.option("--verbose", "-v", is_flag=True, help="Log every request on stderr.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, lang: str | None, verbose: bool) -> None:
    """Serve the archive's search page, article pages and JSON API (read-only; Ctrl-C stops)."""
    from pipeline.cli.session import settings_of
    from pipeline.web import make_app, make_server, open_archive

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    export_max = settings_of(ctx).web_export_max  # a bad BAOTINH_WEB_EXPORT_MAX is told first
    archive = open_archive(settings_of(ctx))
    try:
        server = make_server(make_app(archive, export_max=export_max), host, port)
    except OSError as exc:
        archive.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}; "
                                   "choose another --port") from None
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{server.server_port}/" + (f"?lang={lang}" if lang else "")
    click.echo(f"serving {shown_database(settings_of(ctx).database_url)} at {url}", err=True)
    click.echo(url)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()
        archive.close()


COMMANDS = [serve]
