"""HTTP API: every endpoint, every error, the limits, and concurrency (in process, no sockets)."""
import asyncio
import json
import re
import time

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from conftest import EXAMPLE, ROOT, run_cli  # noqa: E402
from unspin.serve import app as serve_app  # noqa: E402
from unspin.serve.app import BodyLimit, ServeConfig, create_app, open_index  # noqa: E402

EXAMPLE_TEXT = open(EXAMPLE, encoding="utf-8").read()
LONG_TEXT = "\n\n".join([EXAMPLE_TEXT] * 20)  # ~15k characters: seconds to check, not milliseconds


@pytest.fixture(scope="module")
def client(pipeline):  # the pipeline fixture loads the model once for the session
    with TestClient(create_app(ServeConfig(warm=False))) as c:
        yield c


def post_check(client, **body):
    return client.post("/v1/check", json={"text": EXAMPLE_TEXT, **body})


# ---- /v1/check ---------------------------------------------------------------------------------

def test_check_is_the_cli_json_report(client):
    cli = run_cli("check", "--json", EXAMPLE)
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    r = post_check(client, profile="fast", id=EXAMPLE)
    assert r.status_code == 200
    assert r.json() == expected
    assert expected["verdict"] == "spun" and len(expected["spans"]) >= 3


def test_check_default_profile_and_id(client, pipeline):
    r = client.post("/v1/check", json={"text": EXAMPLE_TEXT})
    assert r.status_code == 200
    assert r.json() == pipeline.run(EXAMPLE_TEXT, doc_id="-").to_dict()


def test_check_explain_has_evidence_and_warnings(client):
    r = client.post("/v1/check", json={"text": "<p>" + EXAMPLE_TEXT + "</p>", "profile": "fast", "explain": True})
    assert r.status_code == 200
    body = r.json()
    assert body["spans"] and all({"lm_gain", "relation"} <= set(s["evidence"]) for s in body["spans"])
    assert any("HTML input" in w for w in body["warnings"])
    text = "<p>" + EXAMPLE_TEXT + "</p>"
    assert all(text[s["start"]:s["end"]] == s["text"] for s in body["spans"])


def test_check_empty_text_is_a_clean_report_with_warning(client):
    r = client.post("/v1/check", json={"text": "", "explain": True})
    assert r.status_code == 200
    assert r.json()["verdict"] == "clean" and r.json()["spans"] == []
    assert any("empty" in w for w in r.json()["warnings"])


def test_unknown_profile_is_422(client):
    r = post_check(client, profile="turbo")
    assert r.status_code == 422
    assert "fast" in json.dumps(r.json()["detail"])


def test_unavailable_profile_is_501_with_message(client, monkeypatch):
    real = serve_app.default_pipeline

    def pipeline_without_accurate(profile):
        if profile == "accurate":
            raise NotImplementedError("profile 'accurate' is not built yet")
        return real(profile)

    monkeypatch.setattr(serve_app, "default_pipeline", pipeline_without_accurate)
    r = post_check(client, profile="accurate")
    assert r.status_code == 501
    assert "accurate" in r.json()["detail"] and "not available" in r.json()["detail"]
    assert post_check(client, profile="fast").status_code == 200


def test_internal_error_is_json_500(client, monkeypatch):
    def broken(profile):
        raise RuntimeError("boom")

    monkeypatch.setattr(serve_app, "default_pipeline", broken)
    with TestClient(create_app(ServeConfig(warm=False)), raise_server_exceptions=False) as c:
        r = c.post("/v1/check", json={"text": "x"})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error: RuntimeError"}


@pytest.mark.parametrize("body", [{}, {"text": 12}, {"text": "x", "explain": "maybe"}, {"text": "x", "id": "i" * 501}])
def test_invalid_request_is_422(client, body):
    r = client.post("/v1/check", json=body)
    assert r.status_code == 422
    assert r.json()["detail"]


def test_malformed_json_is_422(client):
    r = client.post("/v1/check", content=b'{"text": ', headers={"content-type": "application/json"})
    assert r.status_code == 422


# ---- /v1/check/file ----------------------------------------------------------------------------

def test_check_file_txt_matches_check(client):
    r = client.post("/v1/check/file?name=spun_article.txt&profile=fast&explain=false",
                    content=EXAMPLE_TEXT.encode(), headers={"content-type": "application/octet-stream"})
    assert r.status_code == 200
    body = r.json()
    assert body["text"] == EXAMPLE_TEXT
    assert body["id"] == "spun_article.txt"
    assert body["spans"] == post_check(client).json()["spans"]


def test_check_file_cp1252_decodes_with_warning(client):
    r = client.post("/v1/check/file?name=old.txt", content="The caf\u00e9 said it had actually closed.".encode("cp1252"))
    assert r.status_code == 200
    assert "caf\u00e9" in r.json()["text"]
    assert any("Windows-1252" in w for w in r.json()["warnings"])


def test_check_file_binary_is_415(client):
    r = client.post("/v1/check/file?name=a.png", content=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    assert r.status_code == 415
    assert "binary" in r.json()["detail"]


def test_check_file_unknown_profile_is_422(client):
    assert client.post("/v1/check/file?profile=turbo", content=b"text").status_code == 422


# ---- limits ------------------------------------------------------------------------------------

def test_request_over_limit_is_413_by_content_length(pipeline):
    with TestClient(create_app(ServeConfig(warm=False, max_bytes=2000))) as c:
        r = c.post("/v1/check", json={"text": "word " * 1000})
        assert r.status_code == 413
        assert "2,000 bytes" in r.json()["detail"]
        assert c.post("/v1/check/file", content=b"x" * 2001).status_code == 413
        assert c.post("/v1/check", json={"text": "short"}).status_code == 200


def test_chunked_request_over_limit_is_413(pipeline):
    def chunks():
        for _ in range(10):
            yield b"x" * 500

    with TestClient(create_app(ServeConfig(warm=False, max_bytes=2000))) as c:
        r = c.post("/v1/check/file", content=chunks())
        assert r.status_code == 413


def _drive(middleware, messages, headers):
    """Run an ASGI middleware on a POST; returns (status, number of receive() calls made)."""
    calls, sent = [], []

    async def receive():
        calls.append(1)
        return messages[len(calls) - 1]

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    asyncio.run(middleware(scope, receive, send))
    return sent[0]["status"], len(calls)


def test_body_limit_stops_reading_early():
    async def app(scope, receive, send):  # would echo 200 after reading the body
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limit = BodyLimit(app, max_bytes=1000)
    chunk = {"type": "http.request", "body": b"x" * 400, "more_body": True}
    # Declared too large: refused before reading anything.
    assert _drive(limit, [chunk] * 100, [(b"content-length", b"40000")]) == (413, 0)
    # Chunked: refused on the third chunk (1,200 bytes), the other 97 are never read.
    assert _drive(limit, [chunk] * 100, []) == (413, 3)
    # Within the limit: the body is replayed to the application.
    last = {"type": "http.request", "body": b"y", "more_body": False}
    assert _drive(limit, [chunk, last], []) == (200, 2)


def test_timeout_is_504_and_the_worker_survives(client):
    engine = client.app.state.engine
    engine.timeout_s = 0.05
    try:
        t0 = time.monotonic()
        r = client.post("/v1/check", json={"text": LONG_TEXT})
        assert r.status_code == 504
        assert time.monotonic() - t0 < 2
        assert "longer than" in r.json()["detail"]
    finally:
        engine.timeout_s = 30.0
    assert post_check(client).status_code == 200  # the server still works
    deadline = time.monotonic() + 60
    while engine.pending and time.monotonic() < deadline:  # the abandoned check finishes and frees its slot
        time.sleep(0.1)
    assert engine.pending == 0


def test_inference_does_not_block_the_event_loop_and_excess_is_503(pipeline):
    app = create_app(ServeConfig(warm=False, workers=1))
    app.state.engine.max_pending = 1

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as c:
            slow = asyncio.create_task(c.post("/v1/check", json={"text": LONG_TEXT}))
            while app.state.engine.pending == 0:  # the check is in the worker
                await asyncio.sleep(0.005)
            t0 = time.monotonic()
            health = await c.get("/healthz")
            health_s = time.monotonic() - t0
            busy = await c.post("/v1/check", json={"text": "one more"})
            running_meanwhile = not slow.done()
            return health, health_s, busy, running_meanwhile, await slow

    health, health_s, busy, running_meanwhile, slow = asyncio.run(scenario())
    assert running_meanwhile, "the long check should still be running while /healthz answers"
    assert health.status_code == 200 and health.json()["pending"] == 1
    assert health_s < 1.0
    assert busy.status_code == 503 and "busy" in busy.json()["detail"]
    assert slow.status_code == 200 and len(slow.json()["spans"]) >= 20


def test_concurrent_checks_all_succeed(pipeline):
    app = create_app(ServeConfig(warm=False, workers=2))

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as c:
            return await asyncio.gather(*(c.post("/v1/check", json={"text": EXAMPLE_TEXT, "id": str(i)})
                                          for i in range(8)))

    responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * 8
    assert [r.json()["id"] for r in responses] == [str(i) for i in range(8)]
    assert len({json.dumps(r.json()["spans"]) for r in responses}) == 1


# ---- /v1/find ----------------------------------------------------------------------------------

def test_find_without_index_is_409(client):
    r = client.post("/v1/find", json={"text": EXAMPLE_TEXT})
    assert r.status_code == 409
    assert "no index configured" in r.json()["detail"]


def test_find_rejects_bad_k(client):
    assert client.post("/v1/find", json={"text": "x", "k": 0}).status_code == 422


SOURCE = EXAMPLE_TEXT.replace("satisfied", "met").replace("had actually", "had")


def build_index(path):
    """A real attribution index holding the example's source and an unrelated document."""
    attribute = pytest.importorskip("unspin.attribute", reason="the attribution stage (issue 5) is absent")
    with attribute.SourceIndex(path) as index:
        index.add("news/1", SOURCE)
        index.add("news/2", "A recipe: boil the pasta, fry garlic in olive oil, add tomatoes and basil. " * 3)
    return str(path)


def test_find_with_index_returns_aligned_matches(tmp_path, pipeline):
    with TestClient(create_app(ServeConfig(warm=False, index=build_index(tmp_path / "idx")))) as c:
        assert c.get("/healthz").json()["index"] is True
        r = c.post("/v1/find", json={"text": EXAMPLE_TEXT, "k": 3})
    assert r.status_code == 200
    matches = r.json()["matches"]
    assert matches[0]["id"] == "news/1" and matches[0]["score"] > 0.5 and matches[0]["text"] == SOURCE
    assert all(m["id"] != "news/2" for m in matches)
    ops = matches[0]["alignment"]
    assert "".join(o["spun_text"] for o in ops) == EXAMPLE_TEXT
    assert "".join(o["source_text"] for o in ops) == SOURCE
    changed = [(o["spun_text"].strip(), o["source_text"].strip()) for o in ops if o["op"] != "equal"]
    assert changed == [("satisfied", "met"), ("actually", "")]


def test_index_that_cannot_be_opened_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="index"):
        open_index(str(tmp_path / "missing"))
    assert not (tmp_path / "missing").exists()  # serving never creates an index


def test_cli_serve_with_bad_index_exits_2(tmp_path):
    r = run_cli("serve", "--index", str(tmp_path / "missing"), "--port", "1")
    assert r.returncode == 2
    assert b"index" in r.stderr and b"Traceback" not in r.stderr


# ---- the rest ----------------------------------------------------------------------------------

def test_healthz(client, monkeypatch):
    monkeypatch.delenv("UNSPIN_NEURAL_MODEL", raising=False)
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["ready"] is True
    assert body["index"] is False and body["default_profile"] == "fast" and "fast" in body["profiles"]
    assert body["max_bytes"] > 0 and body["timeout_s"] > 0
    assert body["neural_model"] == "smollm2-135m"  # which model the accurate and cascade profiles use


def test_openapi_documents_the_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/check", "/v1/check/file", "/v1/find", "/healthz"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_page_and_assets_with_strict_csp(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert 'name="viewport"' in r.text
    # No inline script or style: everything the page runs comes from /static under the CSP.
    assert not re.search(r"<script(?![^>]*\bsrc=)", r.text) and "<style" not in r.text and " style=" not in r.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    assert client.head("/").status_code == 200


def test_page_script_never_parses_user_text_as_markup():
    js = open(f"{ROOT}/src/unspin/serve/static/app.js", encoding="utf-8").read()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js.split("\n", 2)[2], sink  # the header comment names innerHTML


def test_serve_command_is_registered():
    r = run_cli("serve", "--help")
    assert r.returncode == 0
    assert b"--index" in r.stdout and b"--port" in r.stdout
