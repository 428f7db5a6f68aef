"""A sharded index answers exactly as one index over the same articles (issue 14).

One corpus (Zipf-distributed real Arabic words from the sample page, three sources, dates with
many ties, undated articles, near-duplicates, related ids) is indexed once as a single index
and as 1, 2 and 4 shards; every query kind (lookups, questions, phrases, prefixes, OR,
negation, months, filters, date ranges, the three sorts, deep pages) must give the same ids
in the same order, the same totals and facets, and scores equal to 1e-9 relative; did-you-mean,
suggestions, more-like-this, collapsing and query words must agree too. The ranking is
compared before the 4-decimal rounding of ``Hit.score`` (through the engines' own merge),
so a difference in the statistics would show.
"""

from __future__ import annotations

import json
import math
import random
import re
from datetime import date, timedelta

import pytest
from conftest import SAMPLE, write_jsonl

from searchapp import SearchEngine, fastscore, reindex, storage
from searchapp.coordinator import ShardedEngine, open_engine
from searchapp.indexer import shard_of
from searchapp.shards import ClusterManifest, is_sharded, read_manifest, reindex_sharded
from searchapp.shardserver import Request

SHARD_COUNTS = (1, 2, 4)


def _vocabulary() -> list[str]:
    words = re.findall(r"[\u0600-\u06FF]{3,}", SAMPLE.read_text("utf-8"))
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w, None)
    return list(seen)


def make_corpus(n: int = 360, seed: int = 14) -> list[dict]:
    rng = random.Random(seed)
    vocab = _vocabulary()
    weights = [1 / (i + 1) ** 0.9 for i in range(len(vocab))]  # Zipf: df of every size

    def words(k: int) -> str:
        return " ".join(rng.choices(vocab, weights, k=k))

    days = [date(2015, 1, 1) + timedelta(days=rng.randrange(700)) for _ in range(25)]
    out = []
    for i in range(n):
        rec = {"id": f"a{i:04d}", "title": words(rng.randint(3, 8)),
               "paragraphs": [words(rng.randint(15, 40)) for _ in range(rng.randint(1, 4))],
               "source": rng.choice(["okaz", "riyadh", "aawsat"]),
               "section": rng.choice(["محليات", "اقتصاد", "رياضة", "دولي"])}
        if rng.random() < 0.9:
            rec["date"] = rng.choice(days).isoformat()
        if i and rng.random() < 0.06:  # a syndicated copy of an earlier story
            rec["title"] = out[i - 1]["title"]
            rec["paragraphs"] = list(out[i - 1]["paragraphs"])
        if i > 5 and rng.random() < 0.1:
            rec["related"] = [f"a{rng.randrange(i):04d}"]
        out.append(rec)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharded")
    records = make_corpus()
    write_jsonl(root / "c" / "news.jsonl", records)
    assert reindex([root / "c"], root / "single").errors == []
    engines = {}
    for n in SHARD_COUNTS:
        report = reindex_sharded([root / "c"], root / f"s{n}", n)
        assert report.published and report.documents == len(records)
        assert report.errors == []
        engines[n] = ShardedEngine(root / f"s{n}")
    return root, records, SearchEngine(root / "single"), engines


def _queries(records: list[dict]) -> list[str]:
    rng = random.Random(5)
    titles = [r["title"].split() for r in records]
    qs = []
    for t in rng.sample(titles, 25):
        qs.append(" ".join(t[:2]))
        qs.append(" ".join(t[:4]))
        qs.append(f'"{t[0]} {t[1]}"')
        qs.append(t[0][:3] + "* " + t[-1])
        qs.append(f"{t[0]} OR {t[-1]}")
        qs.append(f"{t[0]} -{t[1]}")
    for r in rng.sample(records, 10):  # questions: long, with a question word
        body = r["paragraphs"][0].split()
        qs.append("ما هو " + " ".join(body[:7]) + "؟")
    qs += ["", "-" + titles[0][0], "يناير " + titles[1][0], titles[2][0] + " مارس",
           "source:okaz " + titles[3][0], "ال*", "بوتن", titles[4][0] + "ي"]
    return qs


def _ranked_single(e: SearchEngine, q: str, sort: str, k: int, **kw):
    parsed = e._parse(q)
    spec = e._filter_spec(parsed, kw.get("filters"), kw.get("date_from"), kw.get("date_to"))
    searcher = e._searcher()
    m = e._match(parsed, searcher, spec, False)
    sort = "newest" if m.by_date and sort == "relevance" else sort
    top = fastscore.top(m.scored, k, sort, e._table())
    return [(searcher.stored_fields(d)["id"], s) for d, s in top], m.complete


def _ranked_sharded(e: ShardedEngine, q: str, sort: str, k: int, **kw):
    view = e._current()
    parsed = e._parse(q)
    spec = SearchEngine._filter_spec(parsed, kw.get("filters"), kw.get("date_from"),
                                     kw.get("date_to"))
    m = e._match(view, Request(q, spec, sort, k, True))
    return [(e._call(view, i, "stored", d)["id"], s)
            for (i, d), s in e._ranking(m, k)], m.complete


def _same_scores(a: list, b: list) -> bool:
    return [i for i, _ in a] == [i for i, _ in b] and all(
        math.isclose(x, y, rel_tol=1e-9, abs_tol=0.0) for (_, x), (_, y) in zip(a, b,
                                                                              strict=True))


OPTIONS = [
    {"sort": "relevance"}, {"sort": "newest"}, {"sort": "oldest"},
    {"sort": "relevance", "filters": {"source": "riyadh"}},
    {"sort": "relevance", "date_from": date(2015, 6, 1), "date_to": date(2016, 3, 1)},
]


@pytest.mark.parametrize("n", SHARD_COUNTS)
def test_every_query_kind_ranks_exactly_as_one_index(built, n):
    _, records, single, engines = built
    sharded = engines[n]
    compared = 0
    for q in _queries(records):
        for opts in OPTIONS:
            kw = {k: v for k, v in opts.items() if k != "sort"}
            a, ca = _ranked_single(single, q, opts["sort"], 40, **kw)
            b, cb = _ranked_sharded(sharded, q, opts["sort"], 40, **kw)
            assert _same_scores(a, b), (n, q, opts, a[:5], b[:5])
            assert ca == cb, (n, q, opts)
            compared += len(a)
    assert compared > 2000  # the queries do find things


@pytest.mark.parametrize("n", SHARD_COUNTS)
def test_pages_totals_facets_and_suggestions_are_the_single_index(built, n):
    _, records, single, engines = built
    sharded = engines[n]
    for q in _queries(records)[::3]:
        for page in (1, 2, 3):
            for opts in OPTIONS[:3]:
                a = single.search(q, page=page, per_page=7, **opts)
                b = sharded.search(q, page=page, per_page=7, **opts)
                assert b.missing_shards == []
                assert (a.total, a.facets, a.suggestion) == (b.total, b.facets,
                                                             b.suggestion), (n, q, opts)
                assert [(h.id, h.score, h.snippet, h.title_html) for h in a.hits] == [
                    (h.id, h.score, h.snippet, h.title_html) for h in b.hits], (n, q, page)


@pytest.mark.parametrize("n", (2, 4))
def test_collapse_explain_autocorrect_and_the_rest_agree(built, n):
    _, records, single, engines = built
    sharded = engines[n]
    for q in _queries(records)[:30]:
        a = single.search(q, collapse=True, explain=True, autocorrect=True, per_page=5)
        b = sharded.search(q, collapse=True, explain=True, autocorrect=True, per_page=5)
        assert [(h.id, h.similar, h.explain) for h in a.hits] == [
            (h.id, h.similar, h.explain) for h in b.hits], q
        assert (a.query, a.corrected_from, a.total) == (b.query, b.corrected_from, b.total)
        assert single.query_words(q) == sharded.query_words(q)
    assert any(h.similar for q in _queries(records)
               for h in single.search(q, collapse=True).hits)  # the corpus has copies
    for r in records[::37]:
        assert single.get_article(r["id"]) == sharded.get_article(r["id"])
        assert [h.id for h in single.more_like_this(r["id"])] == [
            h.id for h in sharded.more_like_this(r["id"])]
    for prefix in ("ال", "الم", records[0]["title"].split()[0][:3], "و"):
        assert single.suggest(prefix) == sharded.suggest(prefix)
    assert single.doc_count == sharded.doc_count == len(records)
    assert single.newest_date() == sharded.newest_date()
    assert single.search("زززز").total == sharded.search("زززز").total == 0


def test_articles_live_in_the_shard_their_id_routes_to(built):
    root, records, _, _ = built
    m = read_manifest(root / "s4")
    seen = set()
    for i, gen in enumerate(m.generations):
        ids = set(storage.Generation(root / "s4" / f"shard-{i:03d}" / gen).manifest())
        assert ids and all(shard_of(x, 4) == i for x in ids)
        seen |= ids
    assert seen == {r["id"] for r in records}
    # the routing hash is stable across processes (never Python's salted hash()):
    assert shard_of("a0001", 4) == shard_of("a0001", 4) and shard_of("x", 1) == 0
    assert [shard_of(f"a{i:04d}", 4) for i in range(8)] == [
        int.from_bytes(__import__("hashlib").blake2b(f"a{i:04d}".encode(), digest_size=8)
                       .digest(), "big") % 4 for i in range(8)]


def test_incremental_reindex_updates_only_the_changed_shards(built, tmp_path):
    _root, records, _, _ = built
    src = tmp_path / "c"
    write_jsonl(src / "news.jsonl", records)
    reindex_sharded([src], tmp_path / "ix", 4)
    before = read_manifest(tmp_path / "ix")
    changed = dict(records[0], title="عنوان جديد تماما للمقال")
    write_jsonl(src / "news.jsonl", [changed, *records[1:]])
    report = reindex_sharded([src], tmp_path / "ix", 4)
    after = read_manifest(tmp_path / "ix")
    home = shard_of(changed["id"], 4)
    assert report.updated == 1 and report.published and not report.full_rebuild
    assert [g != h for g, h in zip(before.generations, after.generations, strict=True)] == [
        i == home for i in range(4)]
    assert ShardedEngine(tmp_path / "ix").search("عنوان جديد تماما").hits[0].id == "a0000"
    # nothing changed: nothing published, the manifest stays
    assert not reindex_sharded([src], tmp_path / "ix", 4).published


def test_a_new_shard_count_is_a_full_rebuild_said_clearly(built, tmp_path, caplog):
    _root, records, _, _ = built
    write_jsonl(tmp_path / "c" / "news.jsonl", records[:50])
    reindex_sharded([tmp_path / "c"], tmp_path / "ix", 2)
    caplog.set_level("WARNING")
    report = reindex_sharded([tmp_path / "c"], tmp_path / "ix", 3)
    assert report.full_rebuild and "shard count changes from 2 to 3" in caplog.text
    assert read_manifest(tmp_path / "ix").shards == 3
    assert sorted(p.name for p in (tmp_path / "ix").glob("shard-*")) == [
        "shard-000", "shard-001", "shard-002"]
    assert ShardedEngine(tmp_path / "ix").doc_count == 50


def test_a_failed_shard_build_publishes_nothing(built, tmp_path, monkeypatch):
    """All-or-nothing: shard 2 of 3 fails, so the manifest (and every generation it names)
    is the previous one, and searches answer from it."""
    _root, records, _, _ = built
    write_jsonl(tmp_path / "c" / "news.jsonl", records[:60])
    reindex_sharded([tmp_path / "c"], tmp_path / "ix", 3)
    before = read_manifest(tmp_path / "ix")
    write_jsonl(tmp_path / "c" / "news.jsonl", [dict(r, title=r["title"] + " تحديث")
                                                for r in records[:60]])
    from searchapp import shards

    real = shards.build_shard

    def failing(plan, i, progress=None):
        if i == 2:
            raise OSError(28, "No space left on device")
        return real(plan, i, progress)

    monkeypatch.setattr(shards, "build_shard", failing)
    with pytest.raises(OSError):
        shards.reindex_sharded([tmp_path / "c"], tmp_path / "ix", 3)
    assert read_manifest(tmp_path / "ix") == before
    e = ShardedEngine(tmp_path / "ix")
    assert e.doc_count == 60 and e.search("تحديث").total == 0
    monkeypatch.setattr(shards, "build_shard", real)
    # The shards that had finished kept their new generation (their own CURRENT): the run
    # after the failure only redoes the shard that failed, then publishes them all.
    again = shards.reindex_sharded([tmp_path / "c"], tmp_path / "ix", 3)
    assert again.published and 0 < again.updated < 60
    assert again.updated + again.unchanged == 60
    assert e.search("تحديث").total == 60  # the engine follows the new manifest


def test_the_manifest_is_checked(tmp_path):
    (tmp_path / "ix").mkdir()
    (tmp_path / "ix" / "cluster.json").write_text("{not json")
    assert is_sharded(tmp_path / "ix")
    with pytest.raises(storage.IndexCorrupt, match=r"cluster\.json unreadable"):
        read_manifest(tmp_path / "ix")
    (tmp_path / "ix" / "cluster.json").write_text(json.dumps(
        ClusterManifest(2, ("gen-x", "gen-y"), "shared-x").to_dict()))
    with pytest.raises(storage.IndexCorrupt, match="shard-000/gen-x"):
        read_manifest(tmp_path / "ix")
    with pytest.raises(storage.IndexMissing, match="--shards N"):
        read_manifest(tmp_path / "nothing")


def test_a_single_index_directory_is_not_taken_over(built, tmp_path):
    root, _records, _, _ = built
    with pytest.raises(storage.IndexCorrupt, match="single"):
        reindex_sharded([SAMPLE], root / "single", 2)
    assert isinstance(open_engine(root / "single"), SearchEngine)
    assert isinstance(open_engine(root / "s2"), ShardedEngine)


def test_an_empty_input_publishes_nothing(built, tmp_path):
    _root, records, _, _ = built
    write_jsonl(tmp_path / "c" / "news.jsonl", records[:10])
    reindex_sharded([tmp_path / "c"], tmp_path / "ix", 2)
    before = read_manifest(tmp_path / "ix")
    (tmp_path / "c" / "news.jsonl").write_text("")
    report = reindex_sharded([tmp_path / "c"], tmp_path / "ix", 2)
    assert report.empty_input and not report.published
    assert read_manifest(tmp_path / "ix") == before
    assert ShardedEngine(tmp_path / "ix").doc_count == 10


def test_the_cli_builds_searches_and_checks_a_sharded_index(built, runner, tmp_path):
    from searchapp.cli import main

    _root, records, single, _ = built
    write_jsonl(tmp_path / "c" / "news.jsonl", records)
    r = runner.invoke(main, ["reindex", str(tmp_path / "c"), "--index", str(tmp_path / "ix"),
                             "--shards", "3", "-q"])
    assert r.exit_code == 0, r.output
    assert f"added {len(records)}" in r.output
    q = " ".join(records[3]["title"].split()[:2])
    r = runner.invoke(main, ["search", q, "--index", str(tmp_path / "ix"), "--json",
                             "--no-collapse"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    want = single.search(q, collapse=False, autocorrect=True)
    assert [h["id"] for h in got["hits"]] == [h.id for h in want.hits]
    assert got["total"] == want.total and got["missing_shards"] == []
    r = runner.invoke(main, ["check", "--index", str(tmp_path / "ix")])
    assert r.exit_code == 0 and f"ok: {len(records)} documents" in r.output, r.output
    # an incremental run keeps the shard count without --shards
    r = runner.invoke(main, ["reindex", str(tmp_path / "c"), "--index", str(tmp_path / "ix")])
    assert r.exit_code == 0 and f"unchanged {len(records)}" in r.output, r.output
    # a damaged shard is found
    m = read_manifest(tmp_path / "ix")
    seg = next((tmp_path / "ix" / "shard-001" / m.generations[1]).glob("*.seg"))
    data = bytearray(seg.read_bytes())
    data[len(data) // 2] ^= 0xFF
    seg.write_bytes(bytes(data))
    r = runner.invoke(main, ["check", "--index", str(tmp_path / "ix")])
    assert r.exit_code == 5 and "shard-001" in r.output, r.output


def test_the_web_app_serves_a_sharded_index(built):
    from searchapp.web import create_app

    root, records, single, _ = built
    client = create_app({"TESTING": True, "INDEX_DIR": str(root / "s2")}).test_client()
    q = records[8]["title"].split()[0]
    page = client.get("/", query_string={"q": q})
    assert page.status_code == 200
    data = client.get("/api/search", query_string={"q": q}).get_json()
    assert data["total"] == single.search(q).total and data["missing_shards"] == []
    assert client.get(f"/api/article/{records[8]['id']}").status_code == 200



def test_a_partial_answer_says_so_on_the_page(built, monkeypatch):
    """A shard that does not answer: the page says the results are partial and names it,
    the JSON lists it (the coordinator never returns a silently smaller total)."""
    from searchapp.coordinator import ShardUnavailable
    from searchapp.web import create_app

    root, records, single, _ = built
    engine = ShardedEngine(root / "s2")
    real = engine.transport.gather

    def gather(calls, timeout=None):
        out = real({i: c for i, c in calls.items() if i != 1}, timeout)
        if 1 in calls:
            out[1] = ShardUnavailable("shard-001: no replica answered")
        return out

    monkeypatch.setattr(engine.transport, "gather", gather)
    servers = engine.transport.servers
    monkeypatch.setattr(engine.transport, "call", lambda i, m, *a: (
        _raise(ShardUnavailable("down")) if i == 1 else getattr(servers[i], m)(*a)))
    client = create_app({"TESTING": True, "INDEX_DIR": str(root / "s2"),
                         "ENGINE": engine}).test_client()
    q = records[8]["title"].split()[0]
    data = client.get("/api/search", query_string={"q": q}).get_json()
    assert data["missing_shards"] == ["shard-001"]
    full = single.search(q)
    assert data["total"] < full.total
    assert {h["id"] for h in data["hits"]} <= {h.id for h in single.search(
        q, per_page=100).hits}
    page = client.get("/", query_string={"q": q}).get_data(as_text=True)
    assert "نتائج جزئية" in page and "shard-001" in page


def _raise(e: Exception):
    raise e


class _CountingShards:
    """LocalShards that counts the statistics each request asks the shards for."""

    def __init__(self, root: str, shards: int) -> None:
        from searchapp.coordinator import LocalShards

        self.inner = LocalShards(root, shards, None)
        self.keys = 0

    def call(self, i, method, *args):
        return self.inner.call(i, method, *args)

    def gather(self, calls, timeout=None):
        self.keys += sum(len(args[1]) for method, *args in calls.values() if method == "stats")
        return self.inner.gather(calls, timeout)

    def close(self) -> None:
        self.inner.close()


def test_did_you_mean_asks_only_for_the_candidates_of_rare_words(built):
    """Well-known words need no correction candidates: their frequencies are collected before
    did-you-mean runs, so it never asks the shards for the hundreds of edit-distance-one
    candidates of each word (it did, and a sharded query cost 8 times a single one)."""
    root, records, single, _ = built
    counting: list[_CountingShards] = []

    def transport(r, n):
        counting.append(_CountingShards(r, n))
        return counting[0]

    eng = ShardedEngine(root / "s2", transport=transport)
    common = " ".join(records[0]["title"].split()[:3])
    res = eng.search(common)
    assert res.total == single.search(common).total > 0
    assert res.suggestion is None
    assert counting[0].keys < 40, counting[0].keys  # a few per word, not ~900
    counting[0].keys = 0
    typo = "بوتن"  # unknown: its candidates are asked for, and the answer is the single's
    assert eng.search(typo).suggestion == single.search(typo).suggestion
    assert counting[0].keys > 40
    eng.close()


class _RoundCountingShards:
    """LocalShards that counts the rounds (``gather``) and single calls a request makes, and
    can make one shard stop answering from a given method on."""

    def __init__(self, root: str, shards: int) -> None:
        from searchapp.coordinator import LocalShards

        self.inner = LocalShards(root, shards, None)
        self.rounds: list[str] = []
        self.calls: list[str] = []
        self.down_from: tuple[int, str] | None = None

    def _down(self, i: int, method: str) -> bool:
        return self.down_from is not None and self.down_from == (i, method)

    def call(self, i, method, *args):
        from searchapp.coordinator import ShardUnavailable

        self.calls.append(method)
        if self._down(i, method):
            raise ShardUnavailable(f"shard-{i:03d}: down")
        return self.inner.call(i, method, *args)

    def gather(self, calls, timeout=None):
        from searchapp.coordinator import ShardUnavailable

        if calls:
            self.rounds.append(next(iter(calls.values()))[0])
        return {i: ShardUnavailable(f"shard-{i:03d}: down") if self._down(i, c[0])
                else self.inner.call(i, *c) for i, c in calls.items()}

    def close(self) -> None:
        self.inner.close()


def test_a_results_page_is_a_few_rounds_not_a_call_per_document(built):
    """Over a network every call is a round trip: the page's hits are fetched (and explained)
    in one round over the shards, and collapsing reads its candidates' stored fields in one
    round per widening, not one call per candidate (40 on a first page)."""
    root, records, single, _ = built
    made: list[_RoundCountingShards] = []
    eng = ShardedEngine(root / "s4", transport=lambda r, n: made.append(
        _RoundCountingShards(r, n)) or made[-1])
    t = made[0]
    for q in _queries(records)[:40]:
        t.rounds.clear()
        t.calls.clear()
        a = single.search(q, collapse=True, explain=True)
        b = eng.search(q, collapse=True, explain=True)
        assert [(h.id, h.similar, h.explain, h.snippet) for h in a.hits] == [
            (h.id, h.similar, h.explain, h.snippet) for h in b.hits], q
        assert t.rounds.count("fetch") <= 1 and t.rounds.count("explain") <= 1, q
        assert t.rounds.count("stored_many") <= 2, (q, t.rounds)
        assert "stored" not in t.calls and "fetch" not in t.calls, (q, t.calls)
        if len(b.hits) > 1:
            assert t.rounds.count("stored_many") >= 1


def test_a_shard_lost_between_query_and_fetch_makes_the_page_partial(built):
    root, records, _, _ = built
    made: list[_RoundCountingShards] = []
    eng = ShardedEngine(root / "s2", transport=lambda r, n: made.append(
        _RoundCountingShards(r, n)) or made[-1])
    q = records[8]["title"].split()[0]
    full = eng.search(q, per_page=50)
    assert {h.id for h in full.hits if shard_of(h.id, 2) == 1}  # shard 1 has hits here
    made[0].down_from = (1, "fetch")
    got = eng.search(q, per_page=50)
    assert got.missing_shards == ["shard-001"]
    assert [h.id for h in got.hits] == [h.id for h in full.hits if shard_of(h.id, 2) == 0]
