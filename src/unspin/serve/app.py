"""The HTTP API and the web page (``unspin serve``).

Why a thread pool of our own rather than FastAPI's default one: checking is CPU-bound Python that
must not run on the event loop, the number of checks running at once must stay bounded (each holds
memory and CPU), and a request that runs out of time must answer at once while the worker goes on.
A check that times out cannot be killed inside a thread; it keeps its worker until it finishes and
its result is dropped, so the queue bound counts it until then.

Endpoints (documented in the OpenAPI schema at ``/docs`` and ``/openapi.json``):

- ``POST /v1/check`` ``{"text", "profile", "id", "explain"}``: the ``unspin check --json`` report, or
  the ``--explain`` one (spans with evidence, warnings) with ``"explain": true``.
- ``POST /v1/check/file?name=&profile=&explain=``: the raw bytes of a ``.txt``/``.html`` file, decoded
  as ``unspin check`` decodes files; the answer also carries the decoded ``text``.
- ``POST /v1/find`` ``{"text", "k"}``: the closest sources in the attribution index (``--index``),
  each aligned to the text (the page's side-by-side diff).
- ``GET /healthz``: liveness, readiness, limits, whether an index is configured.
- ``GET /``: the web page (static files in ``unspin/serve/static``).

Every error is JSON ``{"detail": message}`` with a status that says what happened: 413 too large,
415 binary upload, 422 invalid request, 409 no index, 501 profile not available, 503 busy,
504 out of time.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, Callable, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

import unspin
from unspin.evidence.neural import model_spec
from unspin.ingest import InputError, decode
from unspin.pipeline import PROFILES, default_pipeline, interactive_profile
from unspin.serve import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S, DEFAULT_WORKERS

log = logging.getLogger("unspin.serve")

STATIC_DIR = resources.files("unspin.serve") / "static"
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")
# The page and the API load nothing from elsewhere and run no inline code. FastAPI's /docs pages
# load Swagger UI / ReDoc from a CDN, so they get no CSP (they show no user content).
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY")]

Profile = Literal[PROFILES]


@dataclasses.dataclass
class ServeConfig:
    index: str | None = None  # attribution index directory for /v1/find
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S
    workers: int = DEFAULT_WORKERS
    max_pending: int = 64  # checks running or queued before new ones get 503
    warm: bool = True  # load the default profile's resources at start-up
    profile: str = dataclasses.field(default_factory=interactive_profile)  # when a request names none


class ApiError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


class Engine:
    """Runs blocking work in a bounded thread pool with a time limit per call."""

    def __init__(self, workers: int, max_pending: int, timeout_s: float):
        self.executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="unspin-check")
        self.max_pending, self.timeout_s = max_pending, timeout_s
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        with self._lock:
            if self._pending >= self.max_pending:
                raise ApiError(503, f"server busy: {self._pending} checks running or queued; retry shortly")
            self._pending += 1
        fut = self.executor.submit(fn, *args)
        fut.add_done_callback(self._done)
        return fut

    def _done(self, _fut: Future) -> None:
        with self._lock:
            self._pending -= 1

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        fut = asyncio.wrap_future(self.submit(fn, *args))
        try:
            # On timeout wait_for cancels the future: a queued call never starts, a running one
            # finishes in its thread and its result is dropped.
            return await asyncio.wait_for(fut, self.timeout_s)
        except TimeoutError:
            raise ApiError(504, f"the request took longer than the server's limit of {self.timeout_s:g} s; "
                                f"send a shorter text or use the fast profile") from None

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class BodyLimit:
    """ASGI middleware: 413 for bodies over ``max_bytes``, decided before reading a large body.

    A declared Content-Length is checked up front; a chunked body is counted as it arrives and
    refused as soon as it passes the limit. Accepted bodies are replayed to the application.
    """

    def __init__(self, app: Any, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await self._too_large(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._too_large(scope, receive, send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: dict, receive: Callable, send: Callable) -> None:
        response = JSONResponse({"detail": f"request body larger than the server's limit of "
                                           f"{self.max_bytes:,} bytes; send a shorter text"}, status_code=413,
                                headers={"connection": "close"})
        await response(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware adding a strict Content-Security-Policy and friends to every response."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = scope["path"] not in DOCS_PATHS

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + SECURITY_HEADERS
                if csp:
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CheckRequest(BaseModel):
    text: str = Field(description="the document: plain text or HTML (offsets index it as given)")
    profile: Profile | None = Field(None, description="fast: n-gram evidence; accurate: neural re-scoring; "
                                                      "cascade: neural where fast is suspicious; default: the "
                                                      "server's (accurate where installed)")
    id: str = Field("-", max_length=500, description="document id echoed in the report")
    explain: bool = Field(False, description="spans with their evidence and the warnings, as "
                                             "`unspin check --explain`")


class FindRequest(BaseModel):
    text: str
    k: int = Field(5, ge=1, le=50, description="number of sources to return")


def _report(profile: str, text: str, doc_id: str, explain: bool, warnings: list[str] | None = None
            ) -> dict[str, Any]:
    """Runs in a worker thread: the JSON the CLI prints for one document."""
    report = default_pipeline(profile).run(text, doc_id=doc_id, warnings=warnings)
    if not explain:
        return report.to_dict()
    return {**report.to_dict(), "spans": report.explain(), "warnings": report.warnings}


def open_index(path: str) -> Any:
    """The attribution index at ``path`` (never created here); ValueError with a clear message."""
    try:
        from unspin.attribute import SourceIndex, SourceIndexError
    except ImportError as e:
        raise ValueError(f"--index needs the attribution stage (unspin.attribute), which is not "
                         f"available here ({e})") from None
    try:
        return SourceIndex(path, create=False)
    except (SourceIndexError, OSError, sqlite3.Error) as e:
        raise ValueError(f"cannot open index {path}: {e}") from None


def _find(index: Any, lock: threading.Lock, text: str, k: int) -> dict[str, Any]:
    """Runs in a worker thread: ``unspin find --json``'s matches, each with the source's text."""
    with lock:  # one SQLite connection, shared by the worker threads
        matches = index.find(text, k=k)
    return {"matches": [m.to_dict(with_text=True) for m in matches]}


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """The application; ``unspin serve`` runs it with uvicorn."""
    config = config or ServeConfig()
    index = open_index(config.index) if config.index else None
    index_lock = threading.Lock()
    engine = Engine(config.workers, config.max_pending, config.timeout_s)
    state: dict[str, Any] = {"warm": None}

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if config.warm:  # in the background: /healthz answers (ready: false) while it loads
            state["warm"] = engine.executor.submit(_report, config.profile, "Warm up the model.", "-", False)
        yield
        engine.shutdown()
        if index is not None:
            index.close()

    app = FastAPI(title="unspin", version=unspin.__version__, lifespan=lifespan,
                  description="Detect, explain and undo article spinning. Errors are JSON "
                              '`{"detail": message}`.')
    app.state.engine, app.state.config, app.state.index = engine, config, index

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, e: ApiError) -> JSONResponse:
        return JSONResponse({"detail": e.detail}, status_code=e.status)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, e: Exception) -> JSONResponse:
        log.exception("internal error")
        return JSONResponse({"detail": f"internal error: {type(e).__name__}"}, status_code=500)

    async def run_check(profile: str | None, text: str, doc_id: str, explain: bool,
                        warnings: list[str] | None = None) -> dict[str, Any]:
        profile = profile or config.profile
        try:
            return await engine.call(_report, profile, text, doc_id, explain, warnings)
        except (NotImplementedError, ImportError) as e:
            raise ApiError(501, f"profile {profile!r} is not available on this server: {e}") from None

    @app.post("/v1/check", summary="Check a text for spinning",
              responses={413: {"description": "request too large"}, 501: {"description": "profile unavailable"},
                         503: {"description": "server busy"}, 504: {"description": "took too long"}})
    async def check(req: CheckRequest) -> dict[str, Any]:
        """The `unspin check --json` report for `text` (with `explain`, the `--explain` one)."""
        return await run_check(req.profile, req.text, req.id, req.explain)

    @app.post("/v1/check/file", summary="Check an uploaded .txt or .html file",
              responses={413: {"description": "file too large"}, 415: {"description": "binary data"}})
    async def check_file(request: Request, name: str = Query("upload", max_length=500),
                         profile: Profile | None = None, explain: bool = True) -> dict[str, Any]:
        """The request body is the file's bytes, decoded like `unspin check FILE` (UTF-8, else
        Windows-1252 with a warning; binary refused). The answer adds the decoded `text`."""
        try:
            text, warnings = decode(await request.body(), name)
        except InputError as e:
            raise ApiError(415, str(e)) from None
        return {**await run_check(profile, text, name, explain, warnings), "text": text}

    @app.post("/v1/find", summary="Find the sources a text was spun from",
              responses={409: {"description": "no index configured"}})
    async def find(req: FindRequest) -> dict[str, Any]:
        """The `k` closest documents in the server's attribution index, best first, as `unspin find
        --json` gives them (`id`, `score`, `alignment`) plus the source's `text`. `alignment` is
        `unspin.attribute.align`'s: operations `{"op": "equal"|"replace"|"insert"|"delete", "spun":
        [start, end], "source": [start, end], "spun_text", "source_text"}` that partition both texts
        (`insert`: only in the checked text, `delete`: only in the source)."""
        if index is None:
            raise ApiError(409, "no index configured: start the server with `unspin serve --index DIR`")
        return await engine.call(_find, index, index_lock, req.text, req.k)

    @app.get("/healthz", summary="Liveness and configuration")
    async def healthz() -> dict[str, Any]:
        warm = state["warm"]
        ready = warm is None or (warm.done() and not warm.cancelled() and warm.exception() is None)
        return {"status": "ok", "ready": ready, "version": unspin.__version__, "profiles": list(PROFILES),
                "default_profile": config.profile, "neural_model": model_spec(), "index": index is not None,
                "max_bytes": config.max_bytes, "timeout_s": config.timeout_s, "pending": engine.pending}

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC_DIR / "index.html"), media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_middleware(BodyLimit, max_bytes=config.max_bytes)
    app.add_middleware(SecurityHeaders)
    return app
