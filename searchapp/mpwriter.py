"""Whoosh's multi-process writer, made safe to kill.

Whoosh's ``MpWriter`` forks writer processes that wait on a job queue. When the parent is
killed (``kill -9``, SIGTERM, ``timeout``) they are re-parented to init and wait forever,
holding the index lock they inherited: every later reindex then said "another reindex is
writing" (measured in the hostile test). Here each writer process asks the kernel to kill it
when its parent dies (``PR_SET_PDEATHSIG``), and ``cancel`` terminates them instead of setting
a flag in the parent's copy of the task object (which the children never see).
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal

from whoosh import multiproc
from whoosh.multiproc import MpWriter, SubWriterTask

from searchapp import arabic
from searchapp.fastwriter import FastSegmentWriter

_PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when ``parent`` exits (Linux; elsewhere a no-op
    beyond the orphan check)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _GuardedTask(SubWriterTask):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._parent = os.getpid()

    def run(self) -> None:
        die_with_parent(self._parent)
        # Ctrl-C reaches the whole process group: the parent handles it and cancels us.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's deferred handler
        # Started with both signals blocked (see ``GuardedMpWriter._new_task``): a
        # ``terminate`` sent before this point is pending and takes effect now.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        # Whoosh's task loop builds its writer from this module global: in this (forked)
        # process only, make it the term-grouped writer.
        multiproc.SegmentWriter = FastSegmentWriter
        super().run()


class WriterDied(RuntimeError):
    """A writer process ended before its work was done (killed, out of memory)."""


class GuardedMpWriter(MpWriter):
    """``MpWriter`` whose processes never outlive the reindex that started them, and whose
    reindex never outlives them either.

    Whoosh's parent waits for a dead writer forever (a blocking ``put`` on the full job queue:
    seen here when writer processes were killed) or, at commit, publishes the segments of the
    writers that survived: an index silently missing the dead writer's articles. Here a put
    waits at most a second at a time between checks of the writers, and the commit refuses
    to publish unless every writer finished cleanly.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Every put on the job queue (documents, and the stop signals at commit) checks the
        # writers between waits instead of blocking on a queue nobody reads any more.
        self._queue_put = self.jobqueue.put
        self.jobqueue.put = self._guarded_put

    def _new_task(self) -> SubWriterTask:
        task = _GuardedTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                            self.subargs, self.multisegment)
        self.tasks.append(task)
        # A forked child runs the parent's SIGTERM handler (which only sets a flag) until its
        # ``run`` resets it; a ``terminate`` landing in that window was swallowed and the
        # child waited on the job queue forever, and so did the parent's exit (seen 1 run in
        # 10 of the SIGTERM'd-build test). Blocked across the fork, the signal stays pending
        # in the child until it can act on it.
        # A reader thread may be building the stemmer this very moment (an app that searches
        # while it reindexes): wait for it, so the child does not inherit its lock held.
        arabic.warm_up()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            task.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return task

    def _check_tasks(self) -> None:
        for task in self.tasks:
            if task.exitcode is not None and task.exitcode != 0:
                raise WriterDied(
                    f"a writer process (pid {task.pid}) died with exit code {task.exitcode} "
                    "before finishing its articles (killed, or out of memory?); nothing was "
                    "published")

    def _guarded_put(self, item, block: bool = True, timeout: float | None = None) -> None:
        while True:
            self._check_tasks()
            try:
                return self._queue_put(item, timeout=1.0)
            except queue.Full:
                continue

    def _commit_toc(self, segments) -> None:
        for task in self.tasks:  # joined by now: every one must have finished cleanly
            if task.exitcode is None:
                task.join()
        self._check_tasks()
        super()._commit_toc(segments)

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
            for task in self.tasks:
                task.join(timeout=10)
                if task.is_alive():  # never leave a process for the interpreter's exit to join
                    task.kill()
                    task.join()
            # Documents still buffered for the (now dead) readers must not hold up the exit.
            self.jobqueue.cancel_join_thread()
        finally:
            super().cancel()
