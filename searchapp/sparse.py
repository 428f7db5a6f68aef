"""Set operations on sorted document-number arrays, sized to the postings, not the archive.

At a million articles a dense per-document array is 8 MB, and a query tree that allocated,
summed and scanned one per word or per compound node spent its time on the archive's size,
not on the postings it read. These work on sorted, distinct docnum arrays instead.
"""

from __future__ import annotations

import numpy as np


def union(arrays: list[np.ndarray], n: int) -> np.ndarray:
    """Sorted distinct document numbers of ``arrays`` (each sorted and distinct), in time
    proportional to the postings when they are few (a sort) and to ``n`` when they are many
    (a mark per document: one pass over n bytes beats sorting a million numbers)."""
    total = sum(len(a) for a in arrays)
    if total * 8 < n:
        return np.unique(np.concatenate(arrays)) if len(arrays) > 1 else arrays[0]
    mark = np.zeros(n, dtype=bool)
    for a in arrays:
        mark[a] = True
    return np.flatnonzero(mark)
