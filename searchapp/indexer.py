"""Reindex: read the corpus, write a new index generation, publish it atomically.

Incremental by default: every document's content hash is kept in the generation's manifest;
unchanged documents are skipped, changed ones replaced, and documents whose source file was
among the paths reindexed but which are no longer found there are deleted. ``full=True``
starts from an empty generation. See :mod:`searchapp.storage` for why this is crash-safe.

Site boilerplate (:mod:`searchapp.corpus.boilerplate`) is learned by a full build only: it
reads the inputs once to count repeated lines per source (bounded memory; at 31 k
SaudiNewsNet articles about 8 s of one core: 5 s reading, 3 s counting), saves the templates
in the generation (``boilerplate.json``), then reads them again to index. Incremental runs
reuse the saved templates and never relearn, so a run that adds a few articles keeps and drops
exactly the lines the full build did, and unchanged articles keep their content hash;
``--full`` relearns. A generation built before this had no templates: nothing is dropped
until the next full build.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from searchapp import storage
from searchapp.codec import FastWriteCodec
from searchapp.corpus import Article, CorpusError, read_many
from searchapp.corpus.boilerplate import Boilerplate, Learner
from searchapp.fastwriter import FastSegmentWriter
from searchapp.faults import crash_point
from searchapp.mpwriter import GuardedMpWriter
from searchapp.schema import build_schema, id_key
from searchapp.suggest import has_suggestions, update_suggestions, write_suggestions

log = logging.getLogger("searchapp.indexer")

#: Memory for postings before they spill to a sorted run on disk, shared by the writer
#: processes (``searchapp.fastwriter``). Spills are cheap (whole terms), so this bounds the
#: build's memory rather than deciding its speed. Each writer process also holds the word
#: caches (~400 MB once an archive's vocabulary fills them), and the parent the manifest:
#: with 256 MB of postings per process a million articles stay under 3 GB in all.
WRITER_LIMIT_MB = 512
#: Writer processes for full builds (see ``_writer``).
WRITER_PROCS = max(1, min(2, os.cpu_count() or 1))


@dataclass
class _TitleChanges:
    """Titles that entered and left the index in one run (incremental suggestions)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class ReindexReport:
    """What a reindex did. ``errors`` holds every corpus problem as ``file:line: reason``
    (rejected records and files included); ``files`` and ``skipped`` say what was found, so an
    empty or unrelated folder explains itself."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: list[str] = field(default_factory=list)
    #: Files (and archive members) handed to a parser: page dumps, JSON, JSON Lines.
    files: int = 0
    #: ``path: reason`` of each file not read: unknown extension, empty, not a regular file, or
    #: a directory with no corpus file at all.
    skipped: list[str] = field(default_factory=list)
    #: Paths that could not be read completely: their previously indexed articles were kept.
    incomplete: list[str] = field(default_factory=list)
    #: False when nothing was published (nothing changed, or the inputs held no article).
    published: bool = False
    #: True when the inputs held no article, so nothing was published.
    empty_input: bool = False
    #: Boilerplate pieces (lines, or footers glued to a paragraph) cut per source this run.
    boilerplate: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    index: str = ""
    generation: str = ""
    documents: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    @property
    def input_problem(self) -> bool:
        """Some input could not be read completely, or held nothing to index."""
        return bool(self.incomplete) or self.empty_input


class EmptyInput(Exception):
    """The inputs held no article: publishing would empty the index."""


def article_fields(article: Article, doc_json: str | None = None) -> dict:
    """The Whoosh document for one article (searchable text plus what pages need).

    ``doc_json`` is ``article.canonical_json()`` when the caller already has it.
    """
    body = "\n\n".join(article.paragraphs)
    fields = {
        "id": article.id,
        "id_key": id_key(article.id),
        "kind": article.kind,
        "title": article.title,
        "subtitle": article.subtitle,
        "captions": "\n".join(c.text for c in article.captions),
        "body": body,
        "body_forms": body,
        "source": article.source,
        "section": article.section,
        "author": article.author,
        "url": article.url,
        "doc": doc_json if doc_json is not None else article.canonical_json(),
    }
    if article.date is not None:
        fields["date"] = article.date
        fields["year"] = str(article.date.year)
    return {k: v for k, v in fields.items() if v not in ("", None)}


def _origin_file(article: Article) -> str:
    # origin is "file:line" or "archive.zip!member.json:line"; deletion works per file.
    path = article.origin.rsplit(":", 1)[0].split("!", 1)[0] if article.origin else ""
    return os.path.abspath(path) if path else ""


def _under(path: str, roots: list[str] | set[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _error_file(err: CorpusError) -> str:
    # The file (or directory) an error is about: "archive.zip!member.json" -> archive.zip.
    return os.path.abspath(err.path.split("!", 1)[0]) if err.path else ""


def reindex(
    paths: Iterable[str | os.PathLike],
    index_dir: str | os.PathLike = "index",
    *,
    full: bool = False,
    wait: bool = False,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
    procs: int | None = None,
    allow_empty: bool = False,
    shard: Shard | None = None,
) -> ReindexReport:
    """Bring the index at ``index_dir`` up to date with the articles under ``paths``.

    Bad records never abort the run: each is reported in ``ReindexReport.errors`` and
    everything good is indexed. Nothing is lost to a read failure: articles of a file that
    could not be read completely are kept as they were (``ReindexReport.incomplete``), and
    deletions are only for articles that vanished from files read completely. Inputs that
    yield no article at all publish nothing (an unmounted or emptied directory must not
    empty the index) unless ``allow_empty``. Raises :class:`storage.IndexLocked` when
    another reindex is running (unless ``wait``) and :class:`storage.IndexCorrupt` when the
    live index is damaged (rebuild with ``full=True``). ``progress`` is called with the number
    of articles read so far.

    ``shard``: build one shard of a sharded index (:mod:`searchapp.shards`): only the
    articles routed to it are indexed, with the boilerplate learned over every shard's
    input, and the generation the cluster manifest still names is kept.
    """
    started = time.perf_counter()
    paths = [os.fspath(p) for p in paths]
    roots = [os.path.abspath(p) for p in paths]
    report = ReindexReport(index=os.fspath(index_dir))
    with storage.writer_lock(index_dir, wait=wait):
        live = _live_generation(index_dir, full)
        try:
            current = storage.current_name(index_dir)
            keep = {current} if current else set()
            if shard is not None and shard.serving:
                keep.add(shard.serving)
        except storage.IndexCorrupt:  # --full over a damaged CURRENT: repair, and remove
            # nothing until the new generation is live.
            current = None
            keep = {p.name for p in Path(index_dir).glob("gen-*")}
        storage.remove_leftovers(index_dir, keep=keep)
        old_manifest = live.manifest() if live else {}
        gen = storage.new_generation(index_dir, live)
        try:
            titles = _TitleChanges()
            manifest = _write(gen, live, paths, roots, old_manifest, report, source, progress,
                              procs or WRITER_PROCS, allow_empty or shard is not None, titles,
                              shard)
        except BaseException:
            storage.remove_leftovers(index_dir, keep=keep)
            raise
        if report.empty_input:
            storage.remove_leftovers(index_dir, keep=keep)
            report.generation = live.name if live else ""
            report.documents = len(old_manifest)
        elif report.changed or live is None:
            if live is not None and has_suggestions(live.path):
                update_suggestions(gen.path, live.path, titles.added, titles.removed)
            else:
                write_suggestions(gen.path, (e[3] for e in manifest.values() if len(e) > 3))
            storage.publish(index_dir, gen, {"built_at": time.time()}, manifest, base=live)
            report.published = True
            # The replaced generation stays one more round for readers that still have it open.
            storage.remove_leftovers(index_dir, keep={gen.name, *keep})
            report.generation = gen.name
            report.documents = len(manifest)
        else:
            storage.remove_leftovers(index_dir, keep=keep)
            report.generation = live.name
            report.documents = len(manifest)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _live_generation(index_dir: str | os.PathLike, full: bool) -> storage.Generation | None:
    if full:
        return None
    try:
        return storage.current_generation(index_dir)
    except storage.IndexMissing:
        return None
    except storage.IndexVersionError as e:
        log.warning("%s; rebuilding from scratch", e)
        return None
    # storage.IndexCorrupt propagates: an incremental run over a damaged index would build on
    # what cannot be trusted (a lost manifest made every article be added twice).


def _write(
    gen: storage.Generation,
    live: storage.Generation | None,
    paths: list[str],
    roots: list[str],
    old: dict[str, list],
    report: ReindexReport,
    source: str | None,
    progress: Callable[[int], None] | None,
    procs: int,
    allow_empty: bool,
    titles: _TitleChanges,
    shard: Shard | None = None,
) -> dict[str, list]:
    if live is None:
        ix = whoosh_index.create_in(gen.path, build_schema())
    else:
        ix = whoosh_index.open_dir(gen.path)
    manifest = dict(old)
    seen: set[str] = set()

    incomplete: set[str] = set()

    refused = [0, 0]  # records or files rejected, paths not read completely

    def on_error(err: CorpusError) -> None:
        report.errors.append(str(err))
        refused[bool(getattr(err, "partial", False))] += 1
        if getattr(err, "partial", False):
            where = _error_file(err)
            if where and where not in incomplete:
                incomplete.add(where)
                report.incomplete.append(where)
        # A record refused whole is a warning (the run did its job, exit 0); bytes that could
        # not be read may hide an article, and make the run exit 3: an error.
        if loud:
            (log.error if getattr(err, "partial", False) else log.warning)("%s", err)

    def on_skip(err: CorpusError) -> None:
        report.skipped.append(str(err))
        if loud:
            log.warning("%s", err)

    # Every shard reads every input: one of them says what is wrong with it.
    loud = shard is None or shard.index == 0

    def on_file(_path: str) -> None:
        report.files += 1

    fresh = live is None
    if fresh and shard is not None and shard.boilerplate is not None:
        boiler = shard.boilerplate
        boiler.save(gen.path)
    elif fresh:
        boiler = _learn(paths, source, progress)
        boiler.save(gen.path)
    else:
        boiler = Boilerplate.load(live.path)
    writer = _writer(ix, fresh, procs)
    origins: dict[str, str] = {}  # one string per file, not one per article (1 M articles)
    redo: list[Article] = []  # same id twice in a fresh multi-process build: applied after
    added_now: set[str] = set()
    try:
        for n, article in enumerate(read_many(paths, on_error=on_error, source=source,
                                                  on_skip=on_skip, on_file=on_file), 1):
            if shard is not None and shard_of(article.id, shard.count) != shard.index:
                if progress is not None:
                    progress(n)
                continue
            article, cut = boiler.strip(article)
            if cut:
                report.boilerplate[article.source] = report.boilerplate.get(article.source,
                                                                            0) + cut
            seen.add(article.id)
            doc_json = article.canonical_json()
            digest = hashlib.sha256(doc_json.encode("utf-8")).hexdigest()
            previous = manifest.get(article.id)
            if progress is not None:
                progress(n)
            crash_point("read", n)
            if previous is not None and (
                previous[0] == digest or (article.kind == "teaser" and previous[1] == "article")
            ):
                report.unchanged += 1
                continue
            if previous is None and fresh:
                writer.add_document(**article_fields(article, doc_json))
                added_now.add(article.id)
                report.added += 1
            elif previous is None:
                # update, not add: should the manifest ever miss an indexed id, the article
                # still ends up in the index once.
                writer.update_document(**article_fields(article, doc_json))
                report.added += 1
            elif fresh and article.id in added_now:
                redo.append(article)
                report.updated += 1
            else:
                writer.update_document(**article_fields(article, doc_json))
                report.updated += 1
            origin = _origin_file(article)
            if previous is not None and len(previous) > 3:
                titles.removed.append(previous[3])
            titles.added.append(article.title)
            manifest[article.id] = [digest, article.kind, origins.setdefault(origin, origin),
                                    article.title]
        if not seen and not allow_empty:
            report.empty_input = True
            report.errors.append(
                f"no article found in {', '.join(roots)} ({_found(report, *refused)}): nothing "
                "published, the index is unchanged (pass --allow-empty to empty it on purpose)")
            log.error("%s", report.errors[-1])
            writer.cancel()
            ix.close()
            return manifest
        for doc_id, (_, _, origin, *_) in old.items():
            if (doc_id not in seen and origin and _under(origin, roots)
                    and not _under(origin, incomplete)):
                writer.delete_by_term("id", doc_id)
                if len(manifest[doc_id]) > 3:
                    titles.removed.append(manifest[doc_id][3])
                del manifest[doc_id]
                report.deleted += 1
    except BaseException:
        writer.cancel()
        raise
    if report.changed or live is None:
        crash_point("commit")
        log.info("writing the index… (this can take a while)")  # sorting and merging postings
        writing = time.perf_counter()
        writer.commit()
        if redo:
            with FastSegmentWriter(ix, limitmb=WRITER_LIMIT_MB, codec=FastWriteCodec()) as w:
                for article in redo:
                    w.update_document(**article_fields(article))
        log.info("index written in %.1f s", time.perf_counter() - writing)
    else:
        writer.cancel()
    ix.close()
    return manifest


@dataclass(frozen=True)
class Shard:
    """One shard of a sharded build (see :mod:`searchapp.shards`)."""

    index: int
    count: int
    #: Learned once over all inputs: every shard strips the same lines, as one index would.
    boilerplate: Boilerplate | None = None
    #: The generation the cluster manifest names now: kept until a new manifest replaces it.
    serving: str | None = None


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article lives in: a stable hash of its id (never Python's ``hash``,
    which changes between processes)."""
    return id_key(article_id) % shards


def learn_boilerplate(paths: list[str], source: str | None = None,
                      progress: Callable[[int], None] | None = None) -> Boilerplate:
    """The boilerplate of a full build, learned over all of ``paths``."""
    return _learn([os.fspath(p) for p in paths], source, progress)


def _learn(paths: list[str], source: str | None,
           progress: Callable[[int], None] | None) -> Boilerplate:
    """The first pass of a full build: count repeated lines per source. Problems are reported
    by the second pass, which reads the same inputs; ``progress(0)`` lets an interrupt in."""
    log.info("learning site boilerplate: first reading of the inputs")
    learner = Learner()
    quiet = lambda _e: None  # noqa: E731
    for n, article in enumerate(read_many(paths, on_error=quiet, on_skip=quiet,
                                          source=source), 1):
        learner.add(article)
        if progress is not None and n % 1000 == 0:
            progress(0)
    found = learner.result()
    log.info("site boilerplate: %d line templates in %d sources", found.count(),
             len(found.templates))
    return found


def _found(report: ReindexReport, rejected: int, unreadable: int) -> str:
    """`2 files read, 3 skipped, 1 rejected`: the counts behind an empty result."""
    files = f"{report.files} file{'' if report.files == 1 else 's'}"
    text = f"{files} read, {len(report.skipped)} skipped, {rejected} rejected"
    return text + (f", {unreadable} not read completely" if unreadable else "")


def _writer(ix, fresh: bool, procs: int):
    """A fresh build is split over ``procs`` processes, each writing its own segment (no final
    merge: the merge would rewrite every posting on one core). Incremental runs use one
    process, because Whoosh's multi-process writer cannot delete documents it is adding."""
    if fresh and procs > 1:
        return GuardedMpWriter(ix, procs=procs, multisegment=True,
                               limitmb=WRITER_LIMIT_MB // procs, batchsize=256,
                               codec=FastWriteCodec())
    return FastSegmentWriter(ix, limitmb=WRITER_LIMIT_MB, codec=FastWriteCodec())


def ensure_index(corpus: Iterable[str | os.PathLike], index_dir: str | os.PathLike) -> bool:
    """Build the index when none was ever published here (used by ``serve``); True when it
    built one. An index that exists but is damaged or incompatible is never replaced: it
    raises, so that a newsroom's archive is not swapped for the bundled demo corpus."""
    if storage.index_exists(index_dir):
        storage.current_generation(index_dir)
        return False
    corpus = [os.fspath(p) for p in corpus]
    missing = [os.path.abspath(p) for p in corpus if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"corpus {', '.join(missing)} not found: nothing to build the "
                                f"index {os.path.abspath(index_dir)} from")
    report = reindex(corpus, index_dir)
    if report.empty_input:
        raise EmptyInput(report.errors[-1])
    log.info("built index %s: %d documents", Path(index_dir), report.documents)
    return True
