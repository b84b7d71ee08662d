"""HTTP API and web page: ``unspin serve`` (needs the ``serve`` extra: FastAPI and uvicorn).

The application is ``unspin.serve.app.create_app``; this module stays free of FastAPI imports so
that ``unspin check`` does not pay for them.
"""
DEFAULT_MAX_BYTES = 1_000_000  # largest request body accepted (413 above)
DEFAULT_TIMEOUT_S = 30.0  # per-request limit on a check or a find, queueing included (504 above)
DEFAULT_WORKERS = 2  # checks running at once
