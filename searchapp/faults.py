"""Fault injection, so tests can prove that dying at any phase of a reindex is safe."""

from __future__ import annotations

import os
import signal

#: Fault injection for the crash-safety tests: ``SEARCHAPP_CRASH_AT=commit`` (or ``read:500``,
#: ``publish``, ``swapped``) makes the reindex SIGKILL itself at that point, so the tests can
#: prove each phase is safe to die in. Unset in normal use.
CRASH_ENV = "SEARCHAPP_CRASH_AT"


def crash_point(name: str, count: int | None = None) -> None:
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    want, _, n = spec.partition(":")
    if want == name and (not n or count == int(n)):
        os.kill(os.getpid(), signal.SIGKILL)
