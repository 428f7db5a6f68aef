"""The pieces that keep a large archive's memory and pauses bounded (issue 11): readers that do
not copy segments, arrays read whole, a byte-bounded posting cache, suggestions persisted per
generation, and a server that keeps answering while a new generation is prepared."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from searchapp import SearchEngine, fastscore, reindex, storage
from searchapp.suggest import WORDS_FILE, Suggester, has_suggestions, write_suggestions

WORDS = ["سوريا", "النفط", "أسعار", "الرياض", "مجلس", "الوزراء", "إطلاق", "النار", "الهلال",
         "قطر", "الحكومة", "مشروع", "الطاقة", "المدارس", "الأمطار", "السياحة"]


def _write_corpus(path: Path, n: int, start: int = 0, extra: str = "") -> None:
    lines = []
    for i in range(start, start + n):
        words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(5)]
        body = " ".join(WORDS[(i + k * 3) % len(WORDS)] for k in range(120))
        lines.append(json.dumps({
            "id": f"a{i}", "title": " ".join(words) + (f" {extra}" if extra else ""),
            "content": body + (f" {extra}" if extra else ""),
            "source": ("okaz", "sabq", "aawsat")[i % 3],
            "date": f"20{10 + i % 10}-0{1 + i % 9}-1{i % 10}"}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    _write_corpus(root / "a.jsonl", 400)
    reindex([str(root / "a.jsonl")], root / "index", full=True, procs=2)
    return root


def _segment_bytes(index_dir: Path) -> int:
    gen = storage.current_generation(index_dir)
    return sum(f.stat().st_size for f in gen.path.glob("*.seg"))


def _copied_bytes(open_index, n: int = 4) -> int:
    """Bytes that ``n`` open searchers hold in Whoosh's in-memory file copies (BufferFile's
    BytesIO, ``whoosh/filedb/structfile.py``) after a few reads."""
    warm = open_index().searcher()  # imports and one-time setup outside the measurement
    warm.close()
    tracemalloc.start()
    try:
        searchers = [open_index().searcher() for _ in range(n)]
        for s in searchers:
            assert s.doc_count() == 400
            assert s.document(id="a7")["id"] == "a7"
            list(s.reader().postings("body", "نفط").all_ids())
        snap = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    for s in searchers:
        s.close()
    return sum(st.size for st in snap.statistics("filename")
               if st.traceback[0].filename.endswith("structfile.py"))


def test_readers_do_not_copy_segments_into_memory(archive):
    """Whoosh's mmap'ed compound storage gave every reader a BytesIO copy of each file of a
    segment: resident memory was index size x (threads + 1)."""
    from whoosh import index as whoosh_index

    gen = storage.current_generation(archive / "index")
    seg = _segment_bytes(archive / "index")
    assert seg > 100_000
    stock = _copied_bytes(lambda: whoosh_index.open_dir(str(gen.path)))
    ours = _copied_bytes(lambda: storage.open_whoosh(gen.path))
    assert stock > 2 * seg  # the defect is measurable here: four readers, copies of it
    assert ours < seg / 4, (ours, seg)  # what is left is read buffers, not copies


def test_lengths_and_dates_read_whole_equal_whoosh_per_document(archive, tmp_path):
    # several segments, one with deletions
    _write_corpus(tmp_path / "b.jsonl", 30, start=398)  # replaces a398, a399
    index = tmp_path / "index"
    reindex([str(archive / "a.jsonl")], index, full=True, procs=2)
    reindex([str(tmp_path / "b.jsonl")], index)
    table = fastscore.DocTable(storage.open_whoosh(storage.current_generation(index).path))
    reader = table.reader
    assert len(list(reader.leaf_readers())) >= 2
    for field in ("title", "body", "captions", "subtitle"):
        expected = [reader.doc_field_length(d, field) or 0 for d in range(table.n)]
        assert table.lengths[field].tolist() == expected
    for leaf, offset in reader.leaf_readers():
        col = leaf.column_reader("date", translate=False)
        raw = np.array([col[d] for d in range(leaf.doc_count_all())], dtype=np.uint64)
        has = raw != np.iinfo(np.uint64).max
        got = table.dates[offset:offset + leaf.doc_count_all()]
        assert (got[has] == raw[has].astype(np.int64)).all()
        assert (got[~has] == fastscore._NO_DATE).all()


def test_posting_cache_is_bounded_in_bytes(archive):
    table = fastscore.DocTable(storage.open_whoosh(
        storage.current_generation(archive / "index").path))
    table.cache_budget = 6_000
    sizes = []
    for w in WORDS:
        stem = w.removeprefix("ال")
        ids, tf = table.postings("body", stem)
        sizes.append(ids.nbytes + tf.nbytes)
        assert table.cached_bytes <= table.cache_budget
    assert sum(sizes) > 3 * table.cache_budget  # it really had to evict
    assert 0 < len(table._postings) < len(WORDS)
    ids, tf = table.postings("body", "نفط")  # evicted or not, the answer is the same
    again = table._read_postings("body", "نفط")
    assert ids.tolist() == again[0].tolist() and tf.tolist() == again[1].tolist()


def test_suggestions_are_written_with_each_generation_and_never_in_place(tmp_path):
    corpus = tmp_path / "c.jsonl"
    _write_corpus(corpus, 20)
    index = tmp_path / "index"
    reindex([str(corpus)], index, full=True)
    first = storage.current_generation(index)
    assert has_suggestions(first.path)
    old_words = (first.path / WORDS_FILE).read_bytes()
    _write_corpus(tmp_path / "d.jsonl", 5, start=100, extra="زرافات")
    reindex([str(tmp_path / "d.jsonl")], index)
    second = storage.current_generation(index)
    assert second.name != first.name
    # the new generation started as hard links to the old files: the old one is untouched
    assert (first.path / WORDS_FILE).read_bytes() == old_words
    assert "زرافات" not in old_words.decode()
    assert any(s.startswith("زراف") for s in Suggester(second.path).complete("زر"))
    assert storage.current_generation(index).files()[WORDS_FILE]["size"] == (
        second.path / WORDS_FILE).stat().st_size


def test_suggester_keeps_the_most_frequent_words(tmp_path, monkeypatch):
    from searchapp import suggest

    monkeypatch.setattr(suggest, "MAX_WORDS", 3)
    write_suggestions(tmp_path, ["النفط سوريا", "النفط قطر", "النفط سوريا الرياض", "سوريا"])
    sug = Suggester(tmp_path)
    assert sorted(sug.counts) == sorted(["نفط", "سوريا", "قطر"]) or len(sug.counts) == 3
    assert sug.counts[max(sug.counts, key=sug.counts.get)] == 3
    assert sug.complete("النفط س", 5)[-1].startswith("النفط سوريا")  # a title


def test_background_swap_keeps_answering_from_the_old_generation(tmp_path, monkeypatch):
    corpus = tmp_path / "c.jsonl"
    _write_corpus(corpus, 30)
    index = tmp_path / "index"
    reindex([str(corpus)], index, full=True)
    engine = SearchEngine(index, background_swap=True)
    engine.warm()
    assert engine.search("زرافات").total == 0
    gate = threading.Event()
    real = fastscore.DocTable

    def slow_table(ix):
        assert gate.wait(20)
        return real(ix)

    monkeypatch.setattr(fastscore, "DocTable", slow_table)
    _write_corpus(tmp_path / "d.jsonl", 3, start=500, extra="زرافات")
    reindex([str(tmp_path / "d.jsonl")], index)
    started = time.perf_counter()
    for _ in range(5):  # new generation published, still being prepared: old answers, no wait
        res = engine.search("زرافات")
        assert res.total == 0 and engine.search("سوريا").total == 30
    assert time.perf_counter() - started < 5
    gate.set()
    deadline = time.monotonic() + 20
    while engine.search("زرافات").total == 0:
        assert time.monotonic() < deadline, "the new generation was never swapped in"
        time.sleep(0.05)
    assert engine.search("زرافات").total == 3
    assert engine.search("سوريا").total >= 30


def test_without_background_swap_the_next_call_sees_the_new_articles(tmp_path):
    corpus = tmp_path / "c.jsonl"
    _write_corpus(corpus, 10)
    index = tmp_path / "index"
    reindex([str(corpus)], index, full=True)
    engine = SearchEngine(index)
    assert engine.search("زرافات").total == 0
    _write_corpus(tmp_path / "d.jsonl", 2, start=50, extra="زرافات")
    reindex([str(tmp_path / "d.jsonl")], index)
    assert engine.search("زرافات").total == 2


@pytest.mark.parametrize("n", [50, 100_000])  # few postings (a sort) / many (marks)
def test_union_of_sorted_docnum_arrays(n):
    from searchapp.sparse import union

    rng = np.random.default_rng(n)
    arrays = [np.unique(rng.integers(0, 1000, size=k)).astype(np.int32)
              for k in (0, 3, 700, 40)]
    expected = sorted(set().union(*[a.tolist() for a in arrays]))
    assert union(arrays, max(n, 1000)).tolist() == expected
    assert union([arrays[2]], max(n, 1000)).tolist() == arrays[2].tolist()
    assert union([arrays[0]], max(n, 1000)).tolist() == []


@pytest.mark.parametrize("sort", ["newest", "oldest", "relevance"])
def test_top_k_equals_a_full_sort(sort):
    """``top`` selects before it sorts; ties (equal dates or scores) and undated documents
    must come out exactly as a full sort would order them: ties by id key, then (a key
    collision) by document number."""

    class Table:
        pass

    rng = np.random.default_rng(7)
    n = 5000
    table = Table()
    table.dates = rng.integers(0, 40, size=n).astype(np.int64) * 10**9  # many ties
    table.dates[rng.random(n) < 0.1] = fastscore._NO_DATE
    scores = np.round(rng.random(n) * 20) / 2  # ties in scores too
    table.keys = rng.integers(0, 2**63, size=n).astype(np.uint64)
    table.keys[:50] = 7  # colliding keys: the document number decides
    matched = rng.random(n) < 0.6
    cand = np.nonzero(matched)[0]
    for k in (1, 10, 137, len(cand) + 5):
        got = fastscore.top(fastscore.Scored(scores, matched), k, sort, table)
        if sort == "relevance":
            ref = sorted(cand, key=lambda d: (-scores[d], table.keys[d], d))
        else:
            sign = -1 if sort == "newest" else 1
            ref = sorted(cand, key=lambda d: (table.dates[d] == fastscore._NO_DATE,
                                              sign * int(table.dates[d]), table.keys[d], d))
        assert [d for d, _ in got] == [int(d) for d in ref[:k]], (sort, k)


def test_incremental_suggestions_equal_a_full_recount(tmp_path):
    """An incremental reindex updates the previous generation's suggestions with the titles
    that came and went, instead of recounting every title: the result must be the same."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    _write_corpus(corpus / "a.jsonl", 40)
    _write_corpus(corpus / "b.jsonl", 10, start=40, extra="مطارات")
    index = tmp_path / "index"
    reindex([str(corpus)], index, full=True)
    # a.jsonl: 3 articles retitled, 32 unchanged titles, 8 new (3 of them ids b.jsonl had);
    # b.jsonl removed: its other 7 articles deleted
    _write_corpus(corpus / "a.jsonl", 43, extra="زرافات")
    lines = (corpus / "a.jsonl").read_text("utf-8").splitlines()
    (corpus / "a.jsonl").write_text("\n".join(lines[:3] + [
        json.dumps({**json.loads(x), "title": json.loads(x)["title"].replace(" زرافات", "")},
                   ensure_ascii=False) for x in lines[3:35]] + lines[35:]) + "\n", "utf-8")
    (corpus / "b.jsonl").unlink()
    report = reindex([str(corpus)], index)
    assert report.updated and report.deleted == 7 and report.documents == 43
    gen = storage.current_generation(index)
    full = tmp_path / "full"
    full.mkdir()
    write_suggestions(full, [e[3] for e in gen.manifest().values()])
    incremental, recount = Suggester(gen.path), Suggester(full)
    assert incremental.counts == recount.counts and "مطارات" not in incremental.counts
    assert incremental.display == recount.display
    lines_of = [incremental._titles.line(i) for i in range(len(incremental._titles))]
    assert lines_of == [recount._titles.line(i) for i in range(len(recount._titles))]
    assert len(lines_of) == 43


def test_a_dead_writer_process_fails_the_build_and_publishes_nothing(tmp_path, monkeypatch):
    """Whoosh's parent published the surviving writers' segments (an index missing the dead
    writer's articles) or, once the job queue was full, waited for the dead one forever."""
    from searchapp.fastwriter import FastSegmentWriter
    from searchapp.mpwriter import WriterDied

    corpus = tmp_path / "c.jsonl"
    _write_corpus(corpus, 1200)
    index = tmp_path / "index"
    reindex([str(tmp_path / "c.jsonl")], index, full=True)
    before = storage.current_name(index)
    parent = __import__("os").getpid()
    original = FastSegmentWriter.add_document

    def dying(self, **fields):
        if __import__("os").getpid() != parent and self.docnum == 100:
            __import__("os")._exit(9)  # a writer killed mid-build (OOM killer, kill -9)
        return original(self, **fields)

    monkeypatch.setattr(FastSegmentWriter, "add_document", dying)
    started = time.monotonic()
    with pytest.raises(WriterDied, match="exit code 9"):
        reindex([str(corpus)], index, full=True, procs=2)
    assert time.monotonic() - started < 60
    assert storage.current_name(index) == before
    assert SearchEngine(index).search("سوريا").total == 1200


def test_merging_spilled_runs_does_not_keep_them_in_memory(tmp_path):
    """A run is read one record at a time: what the merge has passed is freed."""
    from whoosh.filedb.filestore import FileStorage

    from searchapp.fastwriter import TermPool

    pool = TermPool(FileStorage(str(tmp_path)), limitmb=4)
    for docnum in range(6000):
        for t in range(40):
            pool.add(("body", b"t%05d" % ((docnum * 40 + t) % 20000), docnum, 1.0, b"x" * 30))
    assert 5 <= len(pool.runs) <= 60
    total = sum(f.stat().st_size for f in tmp_path.glob("*.termrun"))
    tracemalloc.start()
    peak = 0
    for i, _ in enumerate(pool.iter_terms()):
        if i % 500 == 0:
            peak = max(peak, tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    assert total > 2_000_000
    assert peak < total / 4, (peak, total)  # not the runs' content, only their heads


def test_a_writer_terminated_right_after_its_fork_dies(tmp_path):
    """A writer process inherits the parent's SIGTERM handler (which only sets a flag) until
    its ``run`` resets it. A ``terminate`` landing in that window was swallowed and the child
    waited on the job queue forever: so did the parent's exit (1 SIGTERM'd build in 10)."""
    import os
    import signal

    from whoosh.fields import ID, Schema
    from whoosh.index import create_in

    from searchapp.mpwriter import GuardedMpWriter

    swallowed = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: swallowed.append(signum))
    ix = create_in(str(tmp_path), Schema(id=ID(stored=True)))
    writer = GuardedMpWriter(ix, procs=2, multisegment=True)
    try:
        for _ in range(2):
            os.kill(writer._new_task().pid, signal.SIGTERM)  # at once: still starting
        for task in writer.tasks:
            task.join(timeout=20)
        assert [task.exitcode for task in writer.tasks] == [-signal.SIGTERM] * 2
        assert swallowed == []
    finally:
        signal.signal(signal.SIGTERM, previous)
        writer.cancel()
        ix.close()


def test_a_process_forked_while_the_stemmer_is_built_can_stem():
    """An app that searches while it reindexes: a writer forked while a reader thread held
    the stemmer's lock (building it) inherited the lock held and hung on its first word."""
    import os

    from searchapp import arabic

    with arabic._stemmer_lock:  # as the reader thread does while it builds the stemmer
        pid = os.fork()
        if pid == 0:
            os._exit(0 if arabic._stemmer_lock.acquire(timeout=5) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
