"""Exit codes of the ``searchapp`` command, one per kind of outcome a script must tell apart.

A cron job or a deploy script reacts differently to "a few records were skipped" (nothing to
do), "another reindex is running" (retry later), "the index is damaged" (rebuild) and "the disk
is full" (call someone). One code per outcome, documented in the README's command-line section.
"""

from __future__ import annotations

#: Done. Records rejected for their content (no body text, malformed JSON) are reported on
#: stderr and in ``--json`` but do not fail the run: everything good was indexed.
OK = 0
#: An unexpected internal error (a bug): the message says so and asks for a report.
INTERNAL = 1
#: Bad command-line usage (click's own code for usage errors).
USAGE = 2
#: Input problem: a path is missing or a file could not be read completely (its articles are
#: kept as they were), or the inputs held no article at all (nothing was published).
INPUT = 3
#: Another reindex holds the writer lock (retry later, or pass ``--wait``).
LOCKED = 4
#: The index is damaged or was built by an incompatible version: rebuild with ``--full``.
DAMAGED = 5
#: The environment refused: disk full, read-only file system, permission denied, port in use.
ENVIRONMENT = 6
#: Interrupted by Ctrl-C or SIGTERM; the previous index is still live.
INTERRUPTED = 130
