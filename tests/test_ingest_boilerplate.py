"""Site boilerplate (lines a source repeats across many of its articles) is learned at index time
and dropped from what is indexed and shown (issue 13, point 6)."""

from __future__ import annotations

from pathlib import Path

from searchapp import SearchEngine, reindex, storage
from searchapp.corpus import Article
from searchapp.corpus.boilerplate import FILE, Boilerplate, Learner, template
from tests.conftest import write_jsonl

LINK = "رابط الخبر بصحيفة الموقع:"
FOOTER = "للتواصل مع الكاتب أرسل رسالة تبدأ بالرمز ({n}) ثم مسافة ثم نص الرسالة إلى 88591"
LONG = " ".join(["فقرة طويلة مكررة في نسخ متعددة من الخبر نفسه"] * 6)  # > 40 words: real text


def _word(i: int) -> str:
    """A word unique to `i` without digits (digits are masked: they would all look alike)."""
    return "".join("ابتثجحخدذر"[int(d)] for d in str(i)) + "ز"


def _title(i: int) -> str:
    return f"خبر {_word(i)} عن افتتاح مشروع جديد في المدينة"


def _records(n: int = 40, start: int = 0) -> list[dict]:
    recs = []
    for i in range(start, start + n):
        first = f"فقرة أولى فريدة للخبر {_word(i)} تروي ما جرى بالتفصيل."
        if i % 2:
            body = [first, LONG, f"{LINK} {_title(i)}"]  # the link line on its own
        else:  # glued to a paragraph by the crawler; a footer whose code changes per columnist
            body = [first, f"نص آخر {_word(i)}. {LINK} {_title(i)}", FOOTER.format(n=i)]
        recs.append({"id": f"s{i}", "title": _title(i), "body": "\n".join(body),
                     "source": "site", "date": "2025-03-01"})
        other = f"نص مقال مختلف {_word(i)} في مصدر آخر."
        if i - start < 10:  # too few articles of its source to be learned
            other += f"\n{LINK} {_title(i)}"
        recs.append({"id": f"o{i}", "title": f"مقال آخر {_word(i)}", "body": other,
                     "source": "other"})
    for i in range(0, min(n, 5) * 8, 8):  # a rare byline after the glued paragraph: kept
        recs[i]["body"] += "\nفلان الفلاني – الموقع"
    return recs


def _learn(recs: list[dict]) -> Boilerplate:
    learner = Learner()
    for r in recs:
        learner.add(Article(id=r["id"], title=r["title"], paragraphs=r["body"].split("\n"),
                            source=r["source"]))
    return learner.result()


def test_template_masks_what_changes_per_article():
    assert template(f"{LINK} {_title(3)}", _title(3)) == f"{LINK} \x01".casefold()
    assert template(FOOTER.format(n=12)) == template(FOOTER.format(n=7))
    assert template("راسلوا a.b@mail.com أو www.site.com/x") == "راسلوا \x03 أو \x03"
    assert template(LONG) is None


def test_learned_per_source_and_cut_whole_or_glued():
    recs = _records()
    bp = _learn(recs)
    assert set(bp.templates) == {"site"}
    site = {r["id"]: r for r in recs}
    own = Article(id="s1", title=_title(1), paragraphs=site["s1"]["body"].split("\n"),
                  source="site")
    stripped, n = bp.strip(own)
    assert n == 1 and stripped.paragraphs == own.paragraphs[:2]
    assert stripped.paragraphs[1] == LONG  # a long repeated paragraph is content
    glued = Article(id="s4", title=_title(4), paragraphs=site["s4"]["body"].split("\n"),
                    source="site")
    stripped, n = bp.strip(glued)
    assert n == 2  # the glued link and the footer line
    assert stripped.paragraphs == [glued.paragraphs[0], f"نص آخر {_word(4)}.",
                                   "فلان الفلاني – الموقع"]


def test_a_page_quoting_another_title_is_not_cut():
    bp = _learn(_records())
    art = Article(id="x", title=_title(99), source="site",
                  paragraphs=["نص الخبر الجديد هنا تماماً.", f"{LINK} عنوان مختلف تماماً عن الخبر"])
    assert bp.strip(art) == (art, 0)


def test_an_article_that_is_only_boilerplate_is_kept_whole():
    bp = _learn(_records())
    art = Article(id="x", title=_title(5), paragraphs=[f"{LINK} {_title(5)}"], source="site")
    assert bp.strip(art) == (art, 0)


def test_learning_memory_is_bounded_and_still_finds_the_repeated_line():
    learner = Learner(max_entries=50)
    for i in range(400):
        lines = [f"سطر فريد {_word(i * 10 + j)} هنا" for j in range(5)]
        learner.add(Article(id=str(i), title=_title(i), source="site",
                            paragraphs=[*lines, "// انتهى //"]))
        assert len(learner._counts) <= 50
    assert learner.result().templates == {"site": ["// انتهى //"]}


def test_reindex_drops_boilerplate_from_index_and_stored_text(tmp_path: Path):
    corpus, index = tmp_path / "c", tmp_path / "ix"
    write_jsonl(corpus / "a.jsonl", _records())
    report = reindex([corpus], index)
    assert report.boilerplate == {"site": 20 + 2 * 20}
    engine = SearchEngine(index)
    assert engine.search("رابط source:site").total == 0
    assert engine.search("رابط source:other").total == 10  # too rare there to be learned
    assert engine.search("بالرمز").total == 0
    art = engine.get_article("s2")
    assert art is not None and all(LINK not in p for p in art.paragraphs)
    gen = storage.current_generation(index)
    assert Boilerplate.load(gen.path).templates.keys() == {"site"}


def test_incremental_run_reuses_the_learned_set(tmp_path: Path):
    corpus, index = tmp_path / "c", tmp_path / "ix"
    write_jsonl(corpus / "a.jsonl", _records())
    reindex([corpus], index)
    write_jsonl(corpus / "b.jsonl", _records(1, start=100))  # one new article: nothing to learn
    report = reindex([corpus], index)
    assert (report.added, report.unchanged) == (2, 80)
    assert report.boilerplate == {"site": 2 + 60}  # the new one, and the unchanged ones again
    art = SearchEngine(index).get_article("s100")
    assert art is not None and all(LINK not in p for p in art.paragraphs)
    gen = storage.current_generation(index)
    assert (gen.path / FILE).exists()


def test_a_footer_glued_to_every_article_is_learned_and_cut():
    """One day of alweeam: every link line glued to the last paragraph, none on its own."""
    recs = [{"id": f"g{i}", "title": _title(i), "source": "site",
             "body": f"فقرة أولى فريدة للخبر {_word(i)} تروي ما جرى.\n"
                     f"نص أخير {_word(i)} عن المشروع. {LINK} {_title(i)}"} for i in range(30)]
    bp = _learn(recs)
    assert bp.templates == {"site": [f"{LINK} \x01".casefold()]}
    art = Article(id="g3", title=_title(3), paragraphs=recs[3]["body"].split("\n"),
                  source="site")
    stripped, n = bp.strip(art)
    assert n == 1 and stripped.paragraphs[-1] == f"نص أخير {_word(3)} عن المشروع."
