"""The term-grouped writer writes the same segment files as Whoosh's own writer."""

from __future__ import annotations

import random

import pytest
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from searchapp.codec import FastWriteCodec
from searchapp.fastwriter import FastSegmentWriter, TermPool
from searchapp.schema import build_schema

WORDS = ("سوريا", "النفط", "أسعار", "الرياض", "مجلس", "الوزراء", "إطلاق", "النار", "وقف",
         "الكتاب", "مَدرسة", "بوتين", "الرئيس", "مسؤول", "مسئول", "الهلال", "قطر", "عاجل")


def _docs(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)

    def text(k: int) -> str:
        return " ".join(rng.choice(WORDS) + rng.choice(("", "ات", "ين", "ة")) for _ in range(k))

    docs = []
    for i in range(n):
        doc = {"id": f"d{i}", "title": text(rng.randint(1, 8)), "body": text(rng.randint(0, 300)),
               "source": rng.choice(("aawsat", "okaz", "sabq")), "doc": "{}"}
        if rng.random() < 0.5:
            doc["captions"] = text(rng.randint(1, 20))
        docs.append(doc)
    return docs


def _segment_files(path) -> dict[str, bytes]:
    """Posting and term files of the one segment, by extension."""
    ix = whoosh_index.open_dir(str(path))
    (seg,) = ix._segments()
    storage = FileStorage(str(path))
    cs = seg.open_compound_file(storage)
    out = {}
    for name in cs.list():
        ext = name.rsplit(".", 1)[-1]
        if ext in ("pst", "trm"):
            with cs.open_file(name) as f:
                out[ext] = bytes(f.read())
    cs.close()
    ix.close()
    return out


def _build(path, writer_class, docs, limitmb) -> None:
    ix = whoosh_index.create_in(str(path), build_schema())
    w = writer_class(ix, limitmb=limitmb, codec=FastWriteCodec())
    for d in docs:
        w.add_document(**d)
    w.commit()
    ix.close()


@pytest.mark.parametrize("limitmb", [64, 0.02])  # all in memory; many spilled runs
def test_same_posting_and_term_files_as_whoosh(tmp_path, limitmb):
    docs = _docs(400, seed=3)
    (tmp_path / "stock").mkdir()
    (tmp_path / "fast").mkdir()
    _build(tmp_path / "stock", SegmentWriter, docs, 64)
    _build(tmp_path / "fast", FastSegmentWriter, docs, limitmb)
    stock, fast = _segment_files(tmp_path / "stock"), _segment_files(tmp_path / "fast")
    assert set(stock) == {"pst", "trm"}
    assert len(stock["pst"]) > 10_000
    assert fast["pst"] == stock["pst"]
    assert fast["trm"] == stock["trm"]


def test_small_budget_really_spills(tmp_path):
    pool = TermPool(FileStorage(str(tmp_path)), limitmb=0.001)
    for docnum in range(200):
        for t in (b"a", b"b", b"c%d" % (docnum % 7)):
            pool.add(("body", t, docnum, 1.0, b""))
    assert len(pool.runs) > 3
    terms = list(pool.iter_terms())
    assert [t for _, t, _ in terms] == sorted(t for _, t, _ in terms)
    a = dict((t, p) for _, t, p in terms)[b"a"]
    assert list(a[0]) == list(range(200))  # concatenated across runs in document order
    assert list(dict((t, p) for _, t, p in terms)[b"c3"][0]) == list(range(3, 200, 7))
    assert len(list(tmp_path.glob("*.termrun"))) == len(pool.runs)
    pool.cleanup()
    assert pool.runs == [] and not list(tmp_path.glob("*.termrun"))


def test_merging_segments_through_the_pool(tmp_path):
    """An incremental commit merges small segments by feeding their postings to the pool."""
    docs = _docs(120, seed=5)
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    for chunk in (docs[:40], docs[40:80], docs[80:]):
        w = FastSegmentWriter(ix, limitmb=0.01, codec=FastWriteCodec())
        for d in chunk:
            w.add_document(**d)
        w.commit()
    w = FastSegmentWriter(ix, limitmb=0.01, codec=FastWriteCodec())
    w.delete_by_term("id", "d3")
    w.commit(optimize=True)
    ix = whoosh_index.open_dir(str(tmp_path))
    assert len(ix._segments()) == 1
    with ix.searcher() as s:
        assert s.doc_count() == 119
        for d in docs[:10]:
            word = d["title"].split()[0]
            hits = {s.stored_fields(n)["id"] for n in s.reader().postings("title", _term(word))
                    .all_ids()}
            expected = {e["id"] for e in docs if e["id"] != "d3"
                        and any(_term(x) == _term(word) for x in e["title"].split())}
            assert expected <= hits


def _term(word: str) -> str:
    from searchapp.analysis import analyze_word

    return analyze_word(word)[1]
