"""End to end: the real server (``unspin serve``) driven by Debian's Chromium through Playwright.

Playwright cannot download browsers here, so it drives the system Chromium (``apt-get install
chromium``; scripts/test.sh installs it). Without one the test skips locally, and fails in CI
(CI=true), where a skipped browser test would hide a broken setup. Screenshots go to build/e2e/.
"""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import EXAMPLE, ROOT

SHOTS = os.path.join(ROOT, "build", "e2e")
EXAMPLE_TEXT = open(EXAMPLE, encoding="utf-8").read()
ATTACK = "\n\n<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"


def find_chromium() -> str | None:
    for name in (os.environ.get("UNSPIN_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        path = name and shutil.which(name)
        if path:
            return path
    return None


def require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run the browser test: see scripts/test.sh)")
        pytest.skip(reason)


CHROMIUM = find_chromium()
try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen | None = None, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                health = json.load(r)
            if health["ready"]:
                return health
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"server at {url} not ready after {timeout} s")


@pytest.fixture(scope="module")
def browser():
    require(sync_playwright is not None, "the playwright Python package is not installed")
    require(CHROMIUM is not None, "no system Chromium (apt-get install chromium)")
    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@contextlib.contextmanager
def start_server(*args: str):
    """``unspin serve`` as a user starts it, on a free port; yields its URL once it is ready."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "unspin.cli", "serve", "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server():
    with start_server() as url:
        yield url


def new_page(browser, **kw):
    page = browser.new_page(**kw)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def test_paste_check_highlights_suggestions_and_restore(browser, server):
    os.makedirs(SHOTS, exist_ok=True)
    page, errors = new_page(browser, viewport={"width": 1100, "height": 900})
    page.goto(server + "/")
    page.fill("#text", EXAMPLE_TEXT + ATTACK)
    page.click("#check")
    page.wait_for_selector("#doc mark.spun", timeout=60_000)

    marks = page.locator("#doc mark.spun")
    n = marks.count()
    assert n >= 3
    assert "SPUN" in page.text_content("#summary")
    texts = [marks.nth(k).text_content() for k in range(n)]
    assert "had actually" in texts and "development" in texts
    j = texts.index("had actually")
    filler = marks.nth(j)
    assert filler.get_attribute("tabindex") == "0"
    assert "confidence" in filler.get_attribute("aria-label")
    assert "c5" in filler.get_attribute("class")  # high confidence, strongest colour

    # Keyboard: tabbing from the toggle button walks the flagged spans in order; focus shows the
    # suggestion and evidence.
    page.focus("#toggle")
    for _ in range(j + 1):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "had actually"
    tip = page.locator("#tip")
    assert tip.is_visible()
    assert "suggested: had" in tip.text_content() and "LM gain" in tip.text_content()
    page.screenshot(path=os.path.join(SHOTS, "check.png"), full_page=True)
    page.keyboard.press("Escape")
    assert not tip.is_visible()

    # Hover on another span shows its own suggestion.
    marks.nth(texts.index("development")).hover()
    assert tip.is_visible() and "suggested: progress" in tip.text_content()

    # Restored text toggle.
    page.click("#toggle")
    assert page.get_attribute("#toggle", "aria-pressed") == "true"
    assert page.locator("#doc mark.spun").count() == 0
    restored = page.text_content("#doc")
    assert "they had made" in restored and "had actually" not in restored
    assert page.locator("#doc ins.restored").count() == n
    page.screenshot(path=os.path.join(SHOTS, "restored.png"), full_page=True)

    # The pasted markup is shown as text, never inserted or run.
    assert "<script>window.__pwned = 1</script>" in page.text_content("#doc")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#doc script, #doc img").count() == 0
    assert errors == []  # no script error, no CSP violation
    page.close()


def test_file_upload_and_phone_layout(browser, server, tmp_path):
    page, errors = new_page(browser, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(server + "/")
    html = "<html><body><p>" + EXAMPLE_TEXT.replace("\n\n", "</p><p>") + "</p></body></html>"
    page.set_input_files("#file", files=[{"name": "article.html", "mimeType": "text/html",
                                          "buffer": html.encode("utf-8")}])
    page.wait_for_selector("#doc mark.spun", timeout=60_000)
    assert page.input_value("#text") == html
    assert "HTML input" in page.text_content("#warnings")
    assert page.locator("#doc mark.spun").count() >= 3
    # Readable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.locator("#doc mark.spun").first.tap()
    assert page.locator("#tip").is_visible()
    page.screenshot(path=os.path.join(SHOTS, "phone.png"), full_page=True)

    # A binary file gets the server's clear message, not a crash.
    page.set_input_files("#file", files=[{"name": "photo.png", "mimeType": "image/png",
                                          "buffer": b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 20}])
    page.wait_for_selector("#status.error")
    assert "binary" in page.text_content("#status")
    assert [e for e in errors if "415" not in e] == []  # the browser logs the failed request itself
    page.close()


@pytest.fixture()
def server_with_index(tmp_path):
    """``unspin serve --index DIR`` on a real attribution index holding the example's source."""
    attribute = pytest.importorskip("unspin.attribute", reason="the attribution stage (issue 5) is absent")
    with attribute.SourceIndex(tmp_path / "idx") as index:
        index.add("news/1", EXAMPLE_TEXT.replace("satisfied", "met").replace("had actually", "had"))
    with start_server("--index", str(tmp_path / "idx")) as url:
        yield url


def test_side_by_side_diff_when_an_index_is_configured(browser, server_with_index):
    page, errors = new_page(browser, viewport={"width": 1100, "height": 900})
    page.goto(server_with_index + "/")
    page.fill("#text", EXAMPLE_TEXT)
    page.click("#check")
    page.wait_for_selector("#diff-source ins.ins", timeout=60_000)
    assert "news/1" in page.text_content("#source-info")
    assert page.locator("#diff-query del.del").all_text_contents()[:2] == ["satisfied", "actually"]
    assert page.locator("#diff-source ins.ins").all_text_contents() == ["met"]
    page.screenshot(path=os.path.join(SHOTS, "diff.png"), full_page=True)
    assert errors == []
    page.close()
