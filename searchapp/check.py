"""``searchapp check``: read an index end to end and report every problem found.

Opening an index only reads its table of contents; damage in a segment file shows up later, in
the middle of a search. This check reads what searches read — every stored document, every term
and posting list of every field — and compares the index with its manifest, so a damaged index
is found before readers meet it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from searchapp import storage

# Re-exported: the engine and older callers import them from here.
CORRUPTION_ERRORS = storage.CORRUPTION_ERRORS
IndexCorrupt = storage.IndexCorrupt
corrupt = storage.corrupt


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


def check_index(index_dir: str | os.PathLike, *, generation: storage.Generation | None = None,
                engine_reads: bool = True) -> CheckReport:
    """Verify the live generation of ``index_dir``; never raises for a damaged index.

    Three layers: every file against the size and sha256 recorded at publish (bit flips in
    columns that Whoosh would read without complaint), then every stored document and posting
    list, then the engine's own per-generation arrays and a search, so that "ok" here means
    the engine can serve this index.

    ``generation``: check this one instead of the live one (a shard: the one the sharded
    index's manifest names); ``engine_reads``: end with the engine's reads (a sharded index
    does them once, over all shards, see :func:`check_sharded`)."""
    if generation is None and _is_sharded(index_dir):
        return check_sharded(index_dir)
    report = CheckReport(index=os.path.abspath(index_dir))
    gen = generation
    try:
        gen = generation or storage.current_generation(index_dir)
        report.generation = gen.name
        manifest = gen.manifest()
        _verify_checksums(gen, report)
        if report.problems:
            return report
        ix = storage.open_whoosh(gen.path)
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
        if engine_reads:
            _engine_reads(index_dir, manifest)
    except storage.IndexError_ as e:
        report.problems.append(str(e))
        return report
    except Exception as e:  # any failure to read it back is damage to report
        report.problems.append(str(corrupt(gen.path, e)))
        return report
    if len(manifest) != report.documents:
        report.problems.append(
            f"manifest lists {len(manifest)} documents but the index holds {report.documents}; "
            f"rebuild it with `{storage.rebuild_command(index_dir)}`"
        )
    missing = sorted(set(manifest) - ids)
    if missing:
        report.problems.append(f"{len(missing)} documents of the manifest are not in the index "
                               f"(e.g. {missing[0]!r}); rebuild it with "
                               f"`{storage.rebuild_command(index_dir)}`")
    live = storage.current_name(index_dir) if generation is not None else gen.name
    for p in Path(index_dir).glob("gen-*"):
        if p.is_dir() and p.name not in (gen.name, live):
            report.warnings.append(f"old or unfinished generation {p.name} (the next reindex "
                                   "removes it)")
    return report


def _is_sharded(index_dir: str | os.PathLike) -> bool:
    from searchapp.shards import is_sharded

    return is_sharded(index_dir)


def check_sharded(index_dir: str | os.PathLike) -> CheckReport:
    """Check a sharded index: its manifest, every shard's named generation as one index is
    checked, that each article is in the shard its id routes to, then searches over all
    shards (what ``searchapp check`` does for a sharded index)."""
    from searchapp.indexer import shard_of
    from searchapp.shards import read_manifest, shard_dir, shard_generation, shard_name

    report = CheckReport(index=os.path.abspath(index_dir))
    try:
        m = read_manifest(index_dir)
    except storage.IndexError_ as e:
        report.problems.append(str(e))
        return report
    report.generation = ", ".join(f"{shard_name(i)}/{g}" for i, g in enumerate(m.generations))
    titles: dict = {}
    for i, name in enumerate(m.generations):
        try:
            gen = shard_generation(index_dir, i, name)
            r = check_index(shard_dir(index_dir, i), generation=gen, engine_reads=False)
            manifest = gen.manifest() if r.ok else {}
        except storage.IndexError_ as e:
            report.problems.append(f"{shard_name(i)}: {e}")
            continue
        report.documents += r.documents
        report.problems += [f"{shard_name(i)}: {p}" for p in r.problems]
        report.warnings += [f"{shard_name(i)}: {w}" for w in r.warnings]
        strays = [k for k in manifest if shard_of(k, m.shards) != i]
        if strays:
            report.problems.append(
                f"{shard_name(i)}: {len(strays)} articles belong to another shard (e.g. "
                f"{strays[0]!r}); rebuild with `searchapp reindex PATH... --index "
                f"{os.path.abspath(index_dir)} --shards {m.shards} --full`")
        titles.update(manifest)
    if report.ok:
        try:
            _engine_reads(index_dir, titles)
        except Exception as e:
            report.problems.append(f"searching the shards failed: {type(e).__name__}: {e}")
    return report


def _verify_checksums(gen: storage.Generation, report: CheckReport) -> None:
    files = gen.files()
    if not files:
        report.problems.append(str(corrupt(gen.path, "no file checksums in meta.json (built "
                                                     "by an older searchapp?)")))
        return
    for name, info in sorted(files.items()):
        path = gen.path / name
        if not path.is_file():
            report.problems.append(str(corrupt(gen.path, f"file {name} is missing")))
        elif storage.file_digest(path) != info.get("sha256"):
            report.problems.append(str(corrupt(gen.path, f"file {name} does not match its "
                                                         "checksum")))


def _engine_reads(index_dir: str | os.PathLike, manifest: dict) -> None:
    """What a serving engine reads: its score arrays, suggestions and a search per kind."""
    from searchapp.coordinator import open_engine  # the engine imports this module

    engine = open_engine(index_dir)
    try:
        engine.warm()
        title = next((e[3] for e in manifest.values() if len(e) > 3 and e[3]), "")
        words = title.split()[:3] or ["خبر"]
        for q in (" ".join(words), f'"{" ".join(words[:2])}"', words[0] + " OR " + words[-1]):
            engine.search(q, per_page=5)
            engine.search(q, per_page=5, sort="newest", explain=True)
    finally:
        engine.close()
