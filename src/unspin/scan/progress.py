"""Progress: a tqdm bar (documents/s, ETA) on a terminal, plain periodic log lines otherwise."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, done: int = 0, mode: str = "auto", every: float = 30.0, stream=None):
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "log"
        self.mode, self.total, self.done, self.every = mode, total, done, every
        self.start_done = done
        self.t0 = self.last = time.monotonic()
        self.bar = None
        if mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="doc", file=self.stream, smoothing=0.1,
                            dynamic_ncols=True)

    def rate(self) -> float:
        elapsed = time.monotonic() - self.t0
        return (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0

    def update(self, n: int, errors: int = 0) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.mode == "log":
            now = time.monotonic()
            if now - self.last >= self.every or self.done >= self.total:
                self.last = now
                rate = self.rate()
                eta = (self.total - self.done) / rate if rate > 0 else float("inf")
                share = 100 * self.done / max(self.total, 1)
                print(f"unspin scan: {self.done:,}/{self.total:,} records ({share:.1f}%), "
                      f"{rate:.1f} docs/s, ETA {_hms(eta)}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _hms(seconds: float) -> str:
    if seconds == float("inf"):
        return "?"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
