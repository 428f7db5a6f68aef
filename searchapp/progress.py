"""Progress reporting for long work: a bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("searchapp.progress")


class Progress:
    """Counts documents. The corpus is streamed, so the total is not known up front; the size
    of the live index (``total``) is the estimate that gives an ETA: most reindexes run over
    nearly the same corpus. A first build shows count and rate only."""

    def __init__(self, enabled: bool = True, every_seconds: float = 5.0, unit: str = "docs",
                 total: int | None = None):
        self.enabled = enabled
        self.total = total
        self.every = every_seconds
        self.unit = unit
        self._bar = None
        self._last_log = 0.0
        self._started = time.monotonic()

    def __enter__(self) -> Progress:
        if self.enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(unit=f" {self.unit}", desc="indexing", dynamic_ncols=True,
                             total=self.total)
        return self

    def update(self, count: int) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(count - self._bar.n)
            return
        now = time.monotonic()
        if now - self._last_log >= self.every:
            self._last_log = now
            rate = count / max(now - self._started, 1e-9)
            if self.total and count < self.total:
                log.info("indexed %d of about %d %s (%.0f/s, about %.0f s left)", count,
                         self.total, self.unit, rate, (self.total - count) / max(rate, 1e-9))
            else:
                log.info("indexed %d %s (%.0f/s)", count, self.unit, rate)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
