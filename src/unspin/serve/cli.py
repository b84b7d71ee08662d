"""``unspin serve``: the HTTP API and the web page, run by uvicorn."""
from __future__ import annotations

import argparse
import importlib.util
import sys

from unspin.serve import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S, DEFAULT_WORKERS

# Absent extras make the subcommand absent (see unspin.cli), without importing FastAPI on every
# ``unspin check``.
for _dep in ("fastapi", "uvicorn"):
    if importlib.util.find_spec(_dep) is None:
        raise ModuleNotFoundError(f"No module named {_dep!r}", name=_dep)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from unspin.serve.app import ServeConfig, create_app

    try:
        app = create_app(ServeConfig(index=args.index, max_bytes=args.max_bytes, timeout_s=args.timeout,
                                     workers=args.workers))
    except ValueError as e:
        print(f"unspin: {e}", file=sys.stderr)
        return 2
    print(f"unspin: serving the page on http://{args.host}:{args.port}/ "
          f"(API docs at /docs, OpenAPI at /openapi.json)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    s = subparsers.add_parser("serve", help="HTTP API (/v1/check, /v1/find) and the web page")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    s.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    s.add_argument("--index", metavar="DIR", help="attribution index for /v1/find and the page's diff view")
    s.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                   help="largest request body; larger ones get 413 (default %(default)s)")
    s.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                   help="seconds a check may take; longer ones get 504 (default %(default)s)")
    s.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="checks run at once (default %(default)s)")
    s.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    s.set_defaults(func=cmd_serve)
