"""Autocomplete on headline vocabulary (issue 13, point 2): frequent words and phrases, the
last word completed in the context of the ones before it, no clitic-glued forms."""

from __future__ import annotations

import json

from searchapp import suggest
from searchapp.suggest import (
    PHRASES_FILE,
    Suggester,
    update_suggestions,
    write_suggestions,
)

TITLES = [
    *[f"ولي العهد يستقبل الوفد {i}" for i in range(5)],
    *[f"ولي العهد السعودي يصل {i}" for i in range(3)],
    *[f"الوفد يصل إلى الرياض {i}" for i in range(12)],  # إلى: more frequent than العهد
    *[f"الرئيس بوتين يزور المنطقة {i}" for i in range(4)],
    *[f"بولوني يدرب الفريق {i}" for i in range(6)],  # frequent, but never after الرئيس
    "الرئيس يلتقي بولوني",
    *[f"وزارة الصحة تعلن {i}" for i in range(8)],
    *[f"تكريم بوزارة الصحة {i}" for i in range(2)],  # بـ glued to وزارة
    *[f"أسعار النفط ترتفع {i}" for i in range(4)],
    "اسعار النفط تنخفض",
    "حريق المصنع الكبير", "حريق المصنع القديم",  # a phrase in two titles only
]


def test_context_completes_the_phrase_headlines_use():
    sug = Suggester.from_titles(TITLES)
    out = sug.complete("ولي ال", 5)
    assert out[:3] == ["ولي العهد", "ولي العهد يستقبل", "ولي العهد السعودي"]
    assert "ولي إلى" not in sug.complete("ولي ال", 10)
    assert sug.complete("الرئيس بو", 5)[0] == "الرئيس بوتين"


def test_words_by_titles_without_glued_clitics():
    sug = Suggester.from_titles(TITLES)
    out = sug.complete("بو", 10)
    assert out[0] == "بولوني" and "بوتين" in out
    assert not any(s.startswith("بوزارة") for s in out)
    assert sug.glued("بوزاره") and sug.glued("والرياض")
    assert not sug.glued("ولي")  # لي is no word to strip to


def test_phrases_in_their_usual_written_form():
    sug = Suggester.from_titles(TITLES)
    assert sug.complete("أسعار ال", 3)[0] == "أسعار النفط"
    assert "وزارة الصحة" in sug.complete("وز", 10)


def test_rare_phrases_are_not_offered_and_the_table_is_capped(tmp_path, monkeypatch):
    sug = Suggester.from_titles(TITLES)
    assert not any(s.startswith("حريق المصنع") and s.count(" ") == 1
                   for s in sug.complete("حريق ال", 10)[:-2])
    monkeypatch.setattr(suggest, "MAX_PHRASES", 5)
    write_suggestions(tmp_path, TITLES)
    rows = json.loads((tmp_path / PHRASES_FILE).read_text("utf-8"))
    assert len(rows) == 5 and ["ولي العهد", 8, "ولي العهد"] in rows


def test_counting_drops_the_rarest_phrases_when_full(monkeypatch):
    monkeypatch.setattr(suggest, "MAX_COUNTED_PHRASES", 40)
    counts = suggest._count_titles(TITLES * 2)[3]
    assert len(counts) <= 40 and counts["ولي العهد"] == 16


def test_an_index_without_phrases_still_completes(tmp_path):
    write_suggestions(tmp_path, TITLES)
    (tmp_path / PHRASES_FILE).unlink()
    sug = Suggester(tmp_path)
    assert sug.complete("بوت", 3)[0] == "بوتين"


def test_incremental_phrases_equal_a_recount(tmp_path):
    base, inc, full = (tmp_path / n for n in ("base", "inc", "full"))
    for d in (base, inc, full):
        d.mkdir()
    added, removed = ["ولي العهد يغادر", "حريق المصنع الثالث"], TITLES[:2]
    write_suggestions(base, TITLES)
    update_suggestions(inc, base, added, removed)
    write_suggestions(full, [*TITLES[2:], *added])
    assert (inc / PHRASES_FILE).read_text("utf-8") == (full / PHRASES_FILE).read_text("utf-8")
    assert "حريق المصنع" in Suggester(inc).phrases  # now in three titles
    (base / PHRASES_FILE).unlink()  # a base written before phrases: counted from its titles
    update_suggestions(inc, base, added, removed)
    assert (inc / PHRASES_FILE).read_text("utf-8") == (full / PHRASES_FILE).read_text("utf-8")


def test_engine_prefers_words_headlines_use_with_the_context(tmp_path):
    from searchapp import SearchEngine, reindex
    from tests.conftest import write_jsonl

    titles = [*(f"الرئيس الروسي بوتين يصل {i}" for i in range(2)),
              *(f"بولوني يدرب الفريق {i}" for i in range(6))]
    write_jsonl(tmp_path / "c" / "n.jsonl", [
        {"id": str(i), "title": t, "body": "نص الخبر."} for i, t in enumerate(titles)])
    reindex([tmp_path / "c"], tmp_path / "i")
    engine = SearchEngine(tmp_path / "i")
    assert engine.suggest("بو")[0] == "بولوني"  # the more frequent word alone
    assert engine.suggest("الرئيس بو")[0] == "الرئيس بوتين"  # with الرئيس in titles
