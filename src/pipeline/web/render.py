"""The Jinja2 environment of the web UI: every template autoescaped, every name required.

Templates live in ``templates/`` of this package; they get a page's plain view
(:mod:`pipeline.web.views`) and escape every value they write. Nothing in this package marks
outside text as safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined

from pipeline.web.views import Page

__all__ = ["Templates", "load_templates", "make_environment"]


def make_environment(package: str = "pipeline.web") -> Environment:
    """The environment over ``package``'s ``templates/`` folder.

    ``autoescape=True`` escapes every value in every template (whatever its file name), and
    :class:`~jinja2.StrictUndefined` turns a misspelt name into an error instead of blank text.
    """
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True, slots=True)
class Templates:
    """The page templates, loaded (and compiled on first use) once per application."""

    env: Environment

    def render(self, page: Page) -> str:
        """The HTML of ``page``: its template filled with the frame, the strings and its view."""
        template = self.env.get_template(page.template)
        return template.render(frame=page.frame, t=page.frame.t, view=page.view)


def load_templates(package: str = "pipeline.web") -> Templates:
    """The templates of ``package`` (``pipeline.web`` by default)."""
    return Templates(make_environment(package))
