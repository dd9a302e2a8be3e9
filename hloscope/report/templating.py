"""The jinja2 environment over hloscope's templates, autoescaped."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

_SOURCE_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@lru_cache(maxsize=1)
def get_environment() -> jinja2.Environment:
    """Templates from the installed package, or the source tree when run uninstalled."""
    try:
        loader: jinja2.BaseLoader = jinja2.PackageLoader("hloscope.templates", "")
        loader.list_templates()
    except (ImportError, ValueError, OSError):
        loader = jinja2.FileSystemLoader(str(_SOURCE_TEMPLATES))
    # select_autoescape() would miss *.html.j2: escape everything, every HLO
    # string and user-given name is untrusted.
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(template: str, **context) -> str:
    """Render one template with context."""
    return get_environment().get_template(template).render(**context)
