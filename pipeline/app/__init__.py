"""The screening app: one study at a time in the browser, on the reviewers' own CSV sheets.

Layers, bottom up: `highlight` (protocol terms in record text), `studies` (what a study shows),
`sheet` (a people's CSV file held in memory and written back one cell at a time, atomically),
`order` (which study comes next: the interface), `model` (the prioritisation model behind it), `tokens` (secret links for team use), `session` (one reviewer
at one stage), `resolve` (the resolver's view of conflicts), `server` (Starlette routes), `command`
(`python -m pipeline app`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.layout import Layout
    from pipeline.protocol import Protocol


def run(layout: Layout, protocol: Protocol, *, host: str = "127.0.0.1", port: int = 8765,
        require_tokens: bool = False) -> None:
    """Serve the app until interrupted (what `python -m pipeline app` calls once it has printed the links).

    Bound to a loopback address, the Host header must name the machine; bound to any other address,
    tokens are required whatever `require_tokens` says.
    """
    import uvicorn  # the server's libraries load only when serving

    from pipeline.app.command import is_loopback
    from pipeline.app.server import Config, create_app

    loopback = is_loopback(host)
    app = create_app(layout, protocol, Config(require_tokens=require_tokens or not loopback, loopback=loopback))
    threading.Thread(target=app.state.review.warm, name="warm-sessions", daemon=True).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
