"""The jinja2 environment: templates ship inside the package and autoescaping is always on.

Record text (titles, authors, source names, reasons) is untrusted, so every template escapes by
default, in HTML and SVG alike; only markup our own templates produced is passed on as `Markup`.
"""

from __future__ import annotations

from functools import cache

import jinja2


@cache
def environment() -> jinja2.Environment:
    """Templates from `pipeline/report/templates`, autoescaped, failing loudly on undefined names."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = lambda n: "" if n is None else f"{n:,}"
    env.filters["fmt"] = lambda x, spec: "" if x is None else format(x, spec)
    return env


def render(template: str, **context: object) -> str:
    """Render one packaged template with `context`."""
    return environment().get_template(template).render(**context)
