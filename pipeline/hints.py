"""The command a message tells people to run next, for the protocol and outputs folder in use.

With the defaults (`queries/review.toml`, `outputs/`) a hint is `make screen`; with another protocol
or outputs folder (`--protocol`, `--outputs`, carried by `Layout`) it is
`make screen PROTOCOL=queries/other.toml OUTPUTS=out2`, so the command works as printed (from the
project folder, where the Makefile is). Paths inside the project are shown relative to it, others
in full; anything a shell would split or expand is quoted.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from pipeline.layout import Layout


def _shown(layout: Layout, path: Path) -> str:
    """`path` relative to the project folder when inside it, else absolute, in / form."""
    path = path.resolve()
    try:
        return path.relative_to(layout.root).as_posix()
    except ValueError:
        return path.as_posix()


def choices(layout: Layout) -> dict[str, str]:
    """The options that differ from the defaults: {"protocol": path, "outputs": path}, in that order."""
    out = {}
    if layout.protocol.resolve() != layout.default_protocol.resolve():
        out["protocol"] = _shown(layout, layout.protocol)
    if layout.outputs.resolve() != (layout.root / "outputs").resolve():
        out["outputs"] = _shown(layout, layout.outputs)
    return out


def make(target: str, layout: Layout) -> str:
    """`make <target>` plus PROTOCOL= / OUTPUTS= when the layout's protocol or outputs are not the defaults."""
    # make expands `$` in command-line variables, so a literal one is written `$$`
    given = [f"{name.upper()}={shlex.quote(value.replace('$', '$$'))}" for name, value in choices(layout).items()]
    return " ".join(["make", target, *given])


def python(stage: str, layout: Layout) -> str:
    """`python -m pipeline <stage>` plus --protocol / --outputs when they are not the defaults."""
    given = [f"--{name} {shlex.quote(value)}" for name, value in choices(layout).items()]
    return " ".join(["python -m pipeline", stage, *given])
