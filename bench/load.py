"""Load test of ``unspin serve``: requests/s and latency of POST /v1/check over loopback.

Starts ``unspin serve`` on a free port (or uses --url), waits until it is ready, then runs
``--clients`` concurrent clients, each with its own keep-alive connection, posting the example
article in a loop for ``--seconds``. Prints requests/s, latency percentiles and failures; exits 1 if
any request failed.

    .venv/bin/python bench/load.py                      # fast profile, 8 clients, 5 s
    .venv/bin/python bench/load.py --clients 16 --seconds 10 --workers 4
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen | None, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            sys.exit(f"server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if json.load(r)["ready"]:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"server at {url} not ready after {timeout:.0f} s")


def client(url: str, body: bytes, stop_at: float, latencies: list[float], failures: list[str]) -> None:
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    while time.monotonic() < stop_at:
        t0 = time.monotonic()
        try:
            conn.request("POST", "/v1/check", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200 or "spans" not in json.loads(payload):
                failures.append(f"HTTP {response.status}: {payload[:200]!r}")
        except (OSError, http.client.HTTPException, ValueError) as e:
            failures.append(f"{type(e).__name__}: {e}")
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            continue
        latencies.append(time.monotonic() - t0)
    conn.close()


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="an already running server (default: start one)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--profile", default="fast")
    ap.add_argument("--workers", type=int, default=2, help="server worker threads when starting one")
    ap.add_argument("--file", default=os.path.join(ROOT, "examples", "spun_article.txt"))
    args = ap.parse_args()

    proc = None
    url = args.url
    if url is None:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "unspin.cli", "serve", "--port", str(port),
                                 "--workers", str(args.workers), "--log-level", "warning"])
        url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        text = open(args.file, encoding="utf-8").read()
        body = json.dumps({"text": text, "profile": args.profile}).encode()
        latencies: list[float] = []
        failures: list[str] = []
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(url, body, t0 + args.seconds, latencies, failures))
                   for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)

    n = len(latencies)
    print(f"profile {args.profile}, {args.clients} concurrent clients, {elapsed:.1f} s, "
          f"document {len(text):,} characters, {os.cpu_count()} CPUs")
    if n:
        print(f"requests: {n} ok, {len(failures)} failed; {n / elapsed:.1f} requests/s")
        print(f"latency: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p90 {percentile(latencies, 0.9) * 1000:.0f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    for f in failures[:5]:
        print("failure:", f)
    return 1 if failures or not n else 0


if __name__ == "__main__":
    sys.exit(main())
