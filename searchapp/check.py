"""``searchapp check``: read an index end to end and report every problem found.

Opening an index only reads its table of contents; damage in a segment file shows up later, in
the middle of a search. This check reads what searches read — every stored document, every term
and posting list of every field — and compares the index with its manifest, so a damaged index
is found before readers meet it.
"""

from __future__ import annotations

import os
import pickle
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from searchapp import storage

#: What Whoosh raises when its files are truncated or overwritten (seen in the damage tests:
#: struct and pickle errors, EOF, short reads). Programming errors (TypeError, ...) are not
#: in the list, so a bug is never reported as a damaged index.
CORRUPTION_ERRORS = (OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError,
                     UnicodeDecodeError, MemoryError)


class IndexCorrupt(storage.IndexError_):
    """The index files are damaged."""


def corrupt(path: str | os.PathLike, err: BaseException) -> IndexCorrupt:
    return IndexCorrupt(
        f"index at {path} is damaged ({type(err).__name__}: {err}); "
        "run `searchapp check` for details and rebuild it with `searchapp reindex --full`"
    )


@dataclass
class CheckReport:
    index: str
    generation: str = ""
    documents: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_index(index_dir: str | os.PathLike) -> CheckReport:
    """Verify the live generation of ``index_dir``; never raises for a damaged index."""
    report = CheckReport(index=os.fspath(index_dir))
    try:
        gen = storage.current_generation(index_dir)
    except storage.IndexError_ as e:
        report.problems.append(str(e))
        return report
    report.generation = gen.name
    manifest = gen.manifest()
    try:
        ix = whoosh_index.open_dir(gen.path)
        with ix.searcher() as searcher:
            reader = searcher.reader()
            report.documents = reader.doc_count()
            ids = set()
            for _, stored in reader.iter_docs():
                ids.add(stored.get("id"))
            for fieldname in ix.schema.names():
                if not ix.schema[fieldname].indexed:
                    continue
                for term in reader.lexicon(fieldname):
                    for _ in reader.postings(fieldname, term).all_ids():
                        pass
    except Exception as e:  # any failure to read it back is damage to report
        report.problems.append(str(corrupt(gen.path, e)))
        return report
    if len(manifest) != report.documents:
        report.problems.append(
            f"manifest lists {len(manifest)} documents but the index holds {report.documents}; "
            "rebuild with `searchapp reindex --full`"
        )
    missing = sorted(set(manifest) - ids)
    if missing:
        report.problems.append(f"{len(missing)} documents of the manifest are not in the index "
                               f"(e.g. {missing[0]!r})")
    for p in Path(index_dir).glob("gen-*"):
        if p.is_dir() and p.name != gen.name:
            report.warnings.append(f"old or unfinished generation {p.name} (the next reindex "
                                   "removes it)")
    return report
