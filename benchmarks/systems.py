"""The systems compared: our index (``reindex`` + ``SearchEngine``) and stock Whoosh.

Stock Whoosh is what a developer gets out of the box: ``StandardAnalyzer`` on a title and a
body field, ``MultifieldParser`` over both with ``OrGroup`` (any word may match), and the default
BM25F weighting. Both indexes are cached under ``--work`` and rebuilt only when their inputs
(data, subsample, and for ours the analysis code) change.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import whoosh
from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup

from benchmarks.common import Corpus, analysis_fingerprint, digest
from searchapp import SearchEngine, reindex
from searchapp.ranking import Ranking


def _fresh(path: Path, rebuild: bool) -> bool:
    """True when a complete cached build exists at ``path`` (marked by ``path/.done``)."""
    if rebuild and path.exists():
        shutil.rmtree(path)
    return (path / ".done").exists()


class Ours:
    def __init__(self, corpus: Corpus, work: Path, ranking: Ranking, rebuild: bool,
                 name: str = "ours") -> None:
        self.name = name
        self.dir = work / f"ours-{digest(corpus.fingerprint, analysis_fingerprint())}"
        self.build_seconds = 0.0
        if not _fresh(self.dir, rebuild):
            print(f"building our index in {self.dir} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            report = reindex(corpus.paths, self.dir / "index", full=True)
            self.build_seconds = time.perf_counter() - started
            if report.errors:
                print(f"note: {len(report.errors)} corpus errors (e.g. {report.errors[0]})",
                      file=sys.stderr)
            (self.dir / ".done").write_text(str(report.documents))
        self.engine = SearchEngine(self.dir / "index", ranking_config=ranking)
        self.documents = self.engine.doc_count

    def search(self, q: str) -> list[str]:
        res = self.engine.search(q, per_page=100, snippets=False, facets=False)
        return [h.id for h in res.hits]


class Stock:
    name = "stock"

    def __init__(self, corpus: Corpus, work: Path, rebuild: bool) -> None:
        self.dir = work / f"stock-{digest(corpus.fingerprint, whoosh.versionstring())}"
        self.build_seconds = 0.0
        if not _fresh(self.dir, rebuild):
            print(f"building the stock Whoosh index in {self.dir} ...", file=sys.stderr,
                  flush=True)
            started = time.perf_counter()
            self.dir.mkdir(parents=True, exist_ok=True)
            schema = Schema(id=ID(stored=True, unique=True),
                            title=TEXT(analyzer=StandardAnalyzer()),
                            body=TEXT(analyzer=StandardAnalyzer()))
            ix = whoosh_index.create_in(self.dir, schema)
            writer = ix.writer(limitmb=256)
            for a in corpus.articles:
                writer.add_document(id=a.id, title=a.title, body="\n\n".join(a.paragraphs))
            writer.commit()
            ix.close()
            self.build_seconds = time.perf_counter() - started
            (self.dir / ".done").write_text(str(len(corpus.articles)))
        self.ix = whoosh_index.open_dir(self.dir)
        self.documents = self.ix.doc_count()
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema, group=OrGroup)

    def search(self, q: str) -> list[str]:
        hits = self.searcher.search(self.parser.parse(q), limit=100)
        return [h["id"] for h in hits]
