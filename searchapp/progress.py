"""Progress reporting for long work: a bar on a terminal, periodic log lines otherwise; log
lines that never land on the bar's line; and the end-of-run summary of problems by reason."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

log = logging.getLogger("searchapp.progress")
#: The bar being drawn now (one at a time: a command shows one), for :class:`BarAwareHandler`.
_active_bar = None


class BarAwareHandler(logging.Handler):
    """Log records on the current ``sys.stderr``, one line each. While a progress bar is drawn,
    a record goes through ``tqdm.write``, which clears the bar, writes the line and redraws the
    bar under it: written directly, the line would start where the bar ends (the bar has no
    newline), gluing the two. The stream is looked up at each record, not once, so a runner
    that swaps ``sys.stderr`` (click's CliRunner) captures the log too."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            stream = sys.stderr
            bar = _active_bar
            if bar is not None:
                bar.write(text, file=stream)
            else:
                stream.write(text + "\n")
                stream.flush()
        except Exception:  # logging must never break the work it reports on
            self.handleError(record)


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
                             total=self.total, file=sys.stderr)
            _set_active(self._bar)
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
            _set_active(None)
            self._bar.close()


def _set_active(bar) -> None:
    global _active_bar
    _active_bar = bar


# -- the end-of-run summary -----------------------------------------------------------------
#: How many locations a summary line names before "and N more".
FIRST_LOCATIONS = 3
_LOCATED = re.compile(r"(?P<where>.+?:\d+): (?P<reason>.+)", re.S)
_UNLOCATED = re.compile(r"(?P<where>.+?): (?P<reason>.+)", re.S)
_RECORD_PREFIX = re.compile(r"^record \d+ \(offset \d+\): ")
_QUOTED_WITH_DIGIT = re.compile(r"'[^']*\d[^']*'|\"[^\"]*\d[^\"]*\"")
_PAREN_WITH_DIGIT = re.compile(r"\s*\([^()]*\d[^()]*\)")
_ID_VALUE = re.compile(r"\bid \S+")


@dataclass
class ReasonCount:
    """One reason of a run's problems: how many records or files, and where the first were."""

    reason: str
    count: int = 0
    locations: list[str] = field(default_factory=list)

    def line(self) -> str:
        """`2 × record without body text: a.jsonl:4, a.jsonl:5` (and "and N more")."""
        more = self.count - len(self.locations)
        where = ", ".join(self.locations) + (f" and {more} more" if more > 0 else "")
        head = f"{self.count} × {self.reason}"
        return f"{head}: {where}" if where else head


def reason_kind(reason: str) -> str:
    """The kind of problem a corpus reason names, so that one summary line counts them all.

    Reasons are written ``kind: detail`` (``malformed JSON record: Expecting ','…``) or
    ``kind: verdict`` (``…: rejected``); the kind is what comes before the first ``": "``, after
    the ``record N (offset M): `` prefix of a line holding several records. Values that differ
    per record are dropped from it: quoted literals holding a digit (dates), parentheses
    holding a digit (sizes, ``first seen at file:line``) and the value after ``id``."""
    kind = _RECORD_PREFIX.sub("", reason).split(": ", 1)[0]
    kind = _QUOTED_WITH_DIGIT.sub("'…'", kind)
    kind = _PAREN_WITH_DIGIT.sub("", kind)
    return _ID_VALUE.sub("id …", kind).strip() or reason


def by_reason(problems: Iterable[str], first: int = FIRST_LOCATIONS) -> list[ReasonCount]:
    """Group ``path:line: reason`` (or ``path: reason``) strings, the form of
    ``ReindexReport.errors`` and ``.skipped``, by :func:`reason_kind`; most frequent first,
    then in order of first appearance, each with its first ``first`` locations in order."""
    groups: dict[str, ReasonCount] = {}
    for text in problems:
        m = _LOCATED.fullmatch(text) or _UNLOCATED.fullmatch(text)
        where, reason = (m["where"], m["reason"]) if m else ("", text)
        group = groups.setdefault(reason_kind(reason), ReasonCount(reason_kind(reason)))
        group.count += 1
        if where and len(group.locations) < first:
            group.locations.append(where)
    return sorted(groups.values(), key=lambda g: -g.count)


def summary_lines(title: str, problems: list[str], noun: str) -> list[str]:
    """``title (3 problems, 2 reasons):`` then one indented :meth:`ReasonCount.line` per
    reason; nothing when there is nothing to report."""
    if not problems:
        return []
    groups = by_reason(problems)
    head = (f"{title} ({len(problems)} {noun}{'' if len(problems) == 1 else 's'}, "
            f"{len(groups)} reason{'' if len(groups) == 1 else 's'}):")
    return [head, *(f"  {g.line()}" for g in groups)]
