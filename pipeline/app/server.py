"""The app's HTTP side (Starlette): pages, the JSON API the page's script calls, access control.

Access: bound to loopback, the machine's user is trusted, and a page's address names the reviewer;
bound to anything else (or with `require_tokens`), every request needs the person's secret token
(the cookie set by their link `/t/<token>`, or an `Authorization: Bearer` header): no valid token
is 401, a valid token for another person's page, sheet or the resolver's view is 403. Every write
needs the page's CSRF token in `X-CSRF-Token`, a JSON body, and no foreign `Origin`. On loopback
the Host header must be a loopback name (no DNS rebinding). Every response carries a strict
Content-Security-Policy: scripts, styles and requests only from this server, nothing from outside.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline import hints
from pipeline.app.highlight import Highlighter
from pipeline.app.model import orderings as model_orderings
from pipeline.app.order import Orderings
from pipeline.app.resolve import Resolver
from pipeline.app.session import CELLS, Refused, Session
from pipeline.app.sheet import CsvFile, Stale, Stamp
from pipeline.app.studies import Catalogue
from pipeline.app.tokens import Tokens
from pipeline.errors import PipelineError
from pipeline.layout import Layout
from pipeline.protocol import STAGES, Protocol
from pipeline.screen.conflicts import RESOLUTION_HEADER
from pipeline.screen.decisions import KEY_COLUMNS, STAGE_LABELS

COOKIE = "review_token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
STATIC = {"app.js": "text/javascript; charset=utf-8", "resolve.js": "text/javascript; charset=utf-8",
          "app.css": "text/css; charset=utf-8"}


class SecurityHeaders:
    """Adds the security headers to every response (pure ASGI, so streaming stays untouched)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass
class Config:
    """How the server runs: whether tokens are required, and the ordering to use."""

    require_tokens: bool = False
    loopback: bool = True
    orderings: Callable[[Protocol, str], Orderings] = model_orderings   # (protocol, stage) -> one reviewer's ordering


class Review:
    """Everything the routes share: protocol, studies, tokens, and one session per reviewer and stage."""

    def __init__(self, layout: Layout, protocol: Protocol, config: Config):
        self.layout, self.protocol, self.config = layout, protocol, config
        self.catalogue = Catalogue.read(layout.studies)
        self.catalogue_stamp = Stamp.of(layout.studies)
        self.highlighter = Highlighter(protocol.highlight_include, protocol.highlight_exclude)
        self.tokens = Tokens(layout.app_tokens)
        self.tokens.ensure_saved()
        self.lock = threading.Lock()
        self.sessions: dict[tuple[str, str], Session] = {}
        self.resolvers: dict[str, Resolver] = {}

    def refresh_catalogue(self) -> None:
        """Read studies.parquet again when dedup rewrote it, so pages show the studies as they are now."""
        stamp = Stamp.of(self.layout.studies)
        if stamp == self.catalogue_stamp:
            return
        self.catalogue, self.catalogue_stamp = Catalogue.read(self.layout.studies), stamp
        for known in self.sessions.values():
            known.catalogue = self.catalogue
        for resolver in self.resolvers.values():
            resolver.catalogue = self.catalogue

    def session(self, stage: str, who: str) -> Session:
        with self.lock:
            self.refresh_catalogue()
            found = self.sessions.get((stage, who))
            if found is None:
                sheet = CsvFile(self.layout.sheet(stage, who), KEY_COLUMNS, CELLS,
                                missing_hint=hints.make("screen", self.layout))
                found = Session(stage, who, sheet, self.catalogue, self.highlighter, self.protocol.exclusion_reasons,
                                self.config.orderings(self.protocol, stage))
                self.sessions[(stage, who)] = found
            return found

    def warm(self) -> None:
        """Open every reviewer's session now (reading sheets, building a model's features), not on first visit."""
        for stage in STAGES:
            for who in self.protocol.reviewers[stage]:
                if self.layout.sheet(stage, who).exists():
                    try:
                        self.session(stage, who)
                    except PipelineError:
                        continue   # shown to the reviewer when they open the page

    def resolver(self, stage: str) -> Resolver:
        sessions = {}
        for who in self.protocol.reviewers[stage]:
            try:
                sessions[who] = self.session(stage, who)
            except PipelineError:
                continue   # no sheet yet: none of that reviewer's calls, so no conflict is shown
        with self.lock:
            found = self.resolvers.get(stage)
            if found is None or set(found.sessions) != set(sessions):
                file = CsvFile(self.layout.resolutions(stage), ("study_id", "record_id"),
                               ("decision", "reason", "resolved_by", "notes"), tuple(RESOLUTION_HEADER))
                found = Resolver(stage, sessions, file, self.catalogue, self.protocol.exclusion_reasons)
                self.resolvers[stage] = found
            return found

    # -- access -------------------------------------------------------------------------------
    def person(self, request: Request) -> str | None:
        """Who the request's token belongs to (None: no valid token)."""
        token = request.cookies.get(COOKIE)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        return self.tokens.who(token)

    def acting(self, request: Request, who: str | None = None) -> str | None:
        """Check access to `who`'s pages; return the acting person (None on open loopback)."""
        if not self.config.require_tokens:
            return who
        person = self.person(request)
        if person is None:
            raise HTTPException(401, "this page needs your secret link (ask the review's coordinator for one)")
        if who is not None and person != who:
            raise HTTPException(403, "your link does not open another person's pages")
        return person

    def reviewer(self, request: Request, stage: str, who: str) -> Session:
        self.acting(request, who)
        if stage not in STAGES or who not in self.protocol.reviewers[stage]:
            raise HTTPException(404, f"{who!r} does not screen at the {STAGE_LABELS.get(stage, stage)} stage")
        try:
            return self.session(stage, who)
        except PipelineError as exc:
            raise HTTPException(404, str(exc)) from None

    def resolving(self, request: Request, stage: str, who: str) -> Resolver:
        self.acting(request, who)
        if stage not in STAGES:
            raise HTTPException(404, f"no stage {stage!r}")
        if who not in self.protocol.resolvers:
            raise HTTPException(403, f"{who!r} is not named in the protocol's [screening] resolvers")
        return self.resolver(stage)

    def check_write(self, request: Request, who: str) -> None:
        """CSRF: the page's token, a JSON body, and no request from another origin."""
        given = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(given, self.tokens.csrf(who)):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPException(415, "writes take a JSON body")
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
            raise HTTPException(403, "request from another site refused")


def _templates() -> jinja2.Environment:
    folder = Path(str(resources.files("pipeline.app") / "templates"))
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True, undefined=jinja2.StrictUndefined)


def create_app(layout: Layout, protocol: Protocol, config: Config | None = None) -> Starlette:
    """The Starlette application of one review."""
    config = config or Config()
    review = Review(layout, protocol, config)
    env = _templates()
    screen_command = hints.make("screen", layout)
    static = {name: (resources.files("pipeline.app") / "static" / name).read_bytes() for name in STATIC}

    def html(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(review_title=protocol.title, screen_command=screen_command,
                                                          **context), status_code=status)

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            raise HTTPException(400, "the body is not JSON") from None
        if not isinstance(data, dict):
            raise HTTPException(400, "the body must be a JSON object")
        return data

    def text(data: dict[str, Any], name: str) -> str:
        value = data.get(name, "")
        if not isinstance(value, str):
            raise HTTPException(400, f"{name} must be a string")
        return value

    def expected(data: dict[str, Any]) -> dict[str, str] | None:
        value = data.get("expected")
        if value is None:
            return None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise HTTPException(400, "expected must map cell names to strings")
        return value

    async def index(request: Request) -> Response:
        person = review.acting(request)
        links = []
        for stage in STAGES:
            for who in protocol.reviewers[stage]:
                if person in (None, who):
                    ready = layout.sheet(stage, who).exists()
                    links.append({"href": f"/screen/{stage}/{who}", "label": f"{who}: {STAGE_LABELS[stage]}",
                                  "ready": ready, "stage": stage})
            for who in protocol.resolvers:
                if person in (None, who):
                    links.append({"href": f"/resolve/{stage}/{who}", "label": f"{who}: resolve {STAGE_LABELS[stage]} conflicts",
                                  "ready": True})
        return html("index.html.j2", links=links, person=person)

    async def login(request: Request) -> Response:
        token = request.path_params["token"]
        if review.tokens.who(token) is None:
            raise HTTPException(401, "this link is not valid (revoked or mistyped)")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    async def static_file(request: Request) -> Response:
        review.acting(request)
        name = request.path_params["name"]
        if name not in static:
            raise HTTPException(404, "no such file")
        return Response(static[name], media_type=STATIC[name])

    async def screen_page(request: Request) -> Response:
        stage, who = request.path_params["stage"], request.path_params["who"]
        session = review.reviewer(request, stage, who)
        reasons = list(enumerate(session.reasons, start=1))[:9]
        return html("screen.html.j2", stage=stage, stage_label=STAGE_LABELS[stage], who=who,
                    csrf=review.tokens.csrf(who), api=f"/api/screen/{stage}/{who}", reasons=reasons,
                    criteria=protocol.criteria, question=protocol.question, full_text=stage == "full_text",
                    resolver=who in protocol.resolvers,
                    highlight={"include": protocol.highlight_include, "exclude": protocol.highlight_exclude})

    def _session(request: Request) -> Session:
        return review.reviewer(request, request.path_params["stage"], request.path_params["who"])

    async def api_study(request: Request) -> Response:
        session = _session(request)
        key = request.query_params.get("key") or None
        move = request.query_params.get("move", "")
        step = {"prev": -1, "next": 1}.get(move, 0)
        if step:
            return JSONResponse(await run_in_threadpool(session.move, key, step))
        return JSONResponse(await run_in_threadpool(session.view, key))

    async def write(request: Request, action: Callable[[Session, dict[str, Any]], dict[str, Any]]) -> Response:
        session = _session(request)
        review.check_write(request, session.reviewer)
        data = await body(request)
        try:
            return JSONResponse(await run_in_threadpool(action, session, data))
        except Refused as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except Stale as exc:
            view = await run_in_threadpool(session.view, exc.key,
                                           "the sheet was changed in the file since this study was shown; "
                                           "here it is as the file says now: nothing was overwritten")
            return JSONResponse({"error": "stale", **view}, status_code=409)

    async def api_decide(request: Request) -> Response:
        return await write(request, lambda s, d: s.decide(text(d, "key"), text(d, "decision"), text(d, "reason"),
                                                          expected(d)))

    async def api_note(request: Request) -> Response:
        return await write(request, lambda s, d: s.note(text(d, "key"), text(d, "notes"), expected(d)))

    async def api_undo(request: Request) -> Response:
        return await write(request, lambda s, d: s.undo())

    def _order(s: Session, d: dict[str, Any]) -> dict[str, Any]:
        s.set_mode(text(d, "mode"))
        return s.view(text(d, "key") or None)

    async def api_order(request: Request) -> Response:
        return await write(request, _order)

    async def resolve_page(request: Request) -> Response:
        stage, who = request.path_params["stage"], request.path_params["who"]
        review.resolving(request, stage, who)
        allowed = ["include", "exclude"] + (["not retrieved"] if stage == "full_text" else [])
        return html("resolve.html.j2", stage=stage, stage_label=STAGE_LABELS[stage], who=who,
                    csrf=review.tokens.csrf(who), api=f"/api/resolve/{stage}/{who}", allowed=allowed,
                    reasons=list(enumerate(protocol.exclusion_reasons, start=1)) if stage == "full_text" else [],
                    reviewers=protocol.reviewers[stage])

    async def api_conflicts(request: Request) -> Response:
        resolver = review.resolving(request, request.path_params["stage"], request.path_params["who"])
        return JSONResponse({"conflicts": await run_in_threadpool(resolver.conflicts)})

    async def api_resolve(request: Request) -> Response:
        who = request.path_params["who"]
        resolver = review.resolving(request, request.path_params["stage"], who)
        review.check_write(request, who)
        data = await body(request)
        try:
            done = await run_in_threadpool(resolver.resolve, text(data, "study_id"), text(data, "decision"),
                                           text(data, "reason"), text(data, "notes"), who, expected(data))
        except Refused as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except Stale:
            return JSONResponse({"error": "resolutions.csv was changed in the file since this page was loaded; "
                                          "reload: nothing was overwritten"}, status_code=409)
        return JSONResponse({"conflict": done})

    async def favicon(request: Request) -> Response:
        review.acting(request)
        return Response(status_code=204)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return html("error.html.j2", status=exc.status_code, code=exc.status_code, message=exc.detail)

    routes = [
        Route("/", index),
        Route("/t/{token}", login),
        Route("/favicon.ico", favicon),
        Route("/static/{name}", static_file),
        Route("/screen/{stage}/{who}", screen_page),
        Route("/api/screen/{stage}/{who}/study", api_study),
        Route("/api/screen/{stage}/{who}/decide", api_decide, methods=["POST"]),
        Route("/api/screen/{stage}/{who}/note", api_note, methods=["POST"]),
        Route("/api/screen/{stage}/{who}/undo", api_undo, methods=["POST"]),
        Route("/api/screen/{stage}/{who}/order", api_order, methods=["POST"]),
        Route("/resolve/{stage}/{who}", resolve_page),
        Route("/api/resolve/{stage}/{who}", api_conflicts),
        Route("/api/resolve/{stage}/{who}/decide", api_resolve, methods=["POST"]),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if config.loopback:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_NAMES))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error})
    app.state.review = review
    return app
