"""CLI: `python -m pipeline app`: serve the screening app, and manage the team's secret links.

On 127.0.0.1 (the default) it prints one link per reviewer and stage. Bound to any other address
(`--host 0.0.0.0`), or with `--tokens`, each person needs their secret link: the first start makes a
token for every reviewer and resolver who has none and prints their links once; `--new-token NAME`
replaces one (printing the new link), `--revoke NAME` ends one. HTTPS is not the app's job: put a
reverse proxy in front of it for use beyond a trusted network.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import ipaddress
import os
import socket
from collections.abc import Iterator

from pipeline import hints
from pipeline.app.tokens import Tokens
from pipeline.console import console, summary, warn
from pipeline.errors import PipelineError, UsageError
from pipeline.layout import Layout
from pipeline.options import from_args
from pipeline.protocol import STAGES, Protocol
from pipeline.screen.decisions import STAGE_LABELS

DEFAULT_PORT = 8765


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `app` to the CLI."""
    parser = sub.add_parser(
        "app", parents=[common], help="Screen in the browser, one study at a time, on the reviewers' own sheets",
        description="Serve the screening app: one study at a time with keys, saved to each reviewer's CSV sheet "
                    "before the next study is shown. Loopback only by default; any other address needs per-person "
                    "secret links (tokens).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--tokens", action="store_true", help="require secret links even on 127.0.0.1")
    parser.add_argument("--url", help="the address people open, for the printed links (e.g. https://review.example.org "
                                      "behind a reverse proxy); default http://HOST:PORT, this machine's name for 0.0.0.0")
    parser.add_argument("--new-token", metavar="NAME", help="make a new secret link for NAME (the old one stops working), then exit")
    parser.add_argument("--revoke", metavar="NAME", help="end NAME's secret link, then exit")
    parser.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def people(protocol: Protocol) -> list[str]:
    """Everyone who may get a link: the reviewers of every stage and the resolvers."""
    names = [who for stage in STAGES for who in protocol.reviewers[stage]] + list(protocol.resolvers)
    return list(dict.fromkeys(names))


def base_url(host: str, port: int, url: str | None = None) -> str:
    """The links' base: `--url` if given, else the bound address (this machine's name for a wildcard address)."""
    if url:
        return url.rstrip("/")
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


@contextlib.contextmanager
def single_server(layout: Layout) -> Iterator[None]:
    """One app server per outputs folder at a time (the lock goes with the process, even on kill -9)."""
    layout.app.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(layout.app_server_lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PipelineError(f"another screening app is already serving {layout.relative(layout.outputs)}/ "
                                "(stop it first, or open its links)") from None
        yield
    finally:
        os.close(fd)


def manage_tokens(layout: Layout, protocol: Protocol, args: argparse.Namespace, url: str) -> bool:
    """--new-token / --revoke: True when one was given (and done)."""
    tokens = Tokens(layout.app_tokens)
    if args.revoke:
        if tokens.revoke(args.revoke):
            summary("app", f"revoked {args.revoke}'s link; it stops working at once, also on a running server")
        else:
            warn(f"{args.revoke} has no link to revoke (people with links: {', '.join(tokens.names) or 'none'})")
        return True
    if args.new_token:
        if args.new_token not in people(protocol):
            raise UsageError(f"{args.new_token!r} is neither a reviewer nor a resolver in {protocol.path}")
        token = tokens.issue(args.new_token)
        console.print(f"{args.new_token}: {url}/t/{token}", markup=False, soft_wrap=True)
        summary("app", f"new link for {args.new_token} (shown once; the old one no longer works); "
                       f"hashes in {layout.relative(layout.app_tokens)}")
        return True
    return False


def print_links(layout: Layout, protocol: Protocol, url: str, require_tokens: bool) -> None:
    """The links to open: per reviewer and stage, or the new secret links (printed once)."""
    if not require_tokens:
        for stage in STAGES:
            for who in protocol.reviewers[stage]:
                ready = "" if layout.sheet(stage, who).exists() else (
                    f"   (no sheet yet: `{hints.make('screen', layout)}` makes it"
                    + (" once studies are included at title/abstract)" if stage == "full_text" else ")"))
                console.print(f"{who} ({STAGE_LABELS[stage]}): {url}/screen/{stage}/{who}{ready}", markup=False, soft_wrap=True)
        for who in protocol.resolvers:
            for stage in STAGES:
                console.print(f"{who} (resolve {STAGE_LABELS[stage]} conflicts): {url}/resolve/{stage}/{who}",
                              markup=False, soft_wrap=True)
        return
    tokens = Tokens(layout.app_tokens)
    for who in people(protocol):
        if who in tokens.names:
            console.print(f"{who}: link made earlier (lost it? {hints.python('app', layout)} --new-token {who})",
                          markup=False, soft_wrap=True)
        else:
            console.print(f"{who}: {url}/t/{tokens.issue(who)}   (secret: shown only now)", markup=False, soft_wrap=True)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C."""
    layout, protocol = from_args(args)
    url = base_url(args.host, args.port, args.url)
    if manage_tokens(layout, protocol, args, url):
        return 0
    from pipeline import app

    for stage in STAGES:
        both = sorted(set(protocol.resolvers) & set(protocol.reviewers[stage]))
        if both:
            warn(f"{', '.join(both)} both screen{'s' if len(both) == 1 else ''} and resolve{'s' if len(both) == 1 else ''} "
                 f"at {STAGE_LABELS[stage]}: the resolver's view shows the other reviewers' calls, so screen first")
    loopback = is_loopback(args.host)
    require_tokens = args.tokens or not loopback
    with single_server(layout):
        print_links(layout, protocol, url, require_tokens)
        summary("app", f"serving {url}/ ({'secret links required' if require_tokens else 'this machine only'}); "
                       f"decisions go straight into the sheets under {layout.relative(layout.screening)}/; Ctrl+C stops")
        app.run(layout, protocol, host=args.host, port=args.port, require_tokens=require_tokens)
    return 0
