"""Fault injection, so tests can prove that dying at any phase of a reindex is safe."""

from __future__ import annotations

import os
import signal

#: Fault injection for the crash-safety tests: ``SEARCHAPP_CRASH_AT=commit`` (or ``read:500``,
#: ``publish``, ``swapped``) makes the reindex SIGKILL itself at that point, so the tests can
#: prove each phase is safe to die in. Unset in normal use.
CRASH_ENV = "SEARCHAPP_CRASH_AT"
#: With it, only the first process to reach the point dies (it creates this file first): a
#: crash a retry gets past, as a machine that fails once.
ONCE_ENV = "SEARCHAPP_CRASH_ONCE"


def crash_point(name: str, count: int | None = None) -> None:
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    want, _, n = spec.partition(":")
    if want == name and (not n or count == int(n)):
        once = os.environ.get(ONCE_ENV)
        if once:
            try:
                os.close(os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os.kill(os.getpid(), signal.SIGKILL)
