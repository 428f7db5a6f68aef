"""The bundled page dump (corpus/aawsat-page.txt), the Article model, ids and deduplication."""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from searchapp.arabic import normalize
from searchapp.corpus import Article, Caption, CorpusError, read, read_many
from searchapp.corpus.model import make_id

SAMPLE = Path(__file__).resolve().parent.parent / "corpus" / "aawsat-page.txt"
TITLE_1 = "في أول اتصال هاتفي مع الشرع... بوتين يعرض مساعدة سوريا"
TITLE_2 = "لبنان يدعو الدول الراعية لاتفاق وقف النار لردع الاعتداءات الإسرائيلية"


@pytest.fixture(scope="module")
def sample() -> tuple[list[Article], list[CorpusError]]:
    errors: list[CorpusError] = []
    return list(read(SAMPLE, on_error=errors.append)), errors


def _articles(sample):
    return [a for a in sample[0] if a.kind == "article"]


def _teasers(sample):
    return [a for a in sample[0] if a.kind == "teaser"]


def test_sample_has_two_articles_five_teasers_and_no_errors(sample):
    assert len(_articles(sample)) == 2
    assert len(_teasers(sample)) == 5
    assert sample[1] == []


def test_sample_article_1(sample):
    art = _articles(sample)[0]
    assert art.title == TITLE_1
    assert art.subtitle == "الكرملين: حوار «بنّاء وموضوعي» واتفاق على مواصلة الاتصالات"
    assert len(art.paragraphs) == 9
    assert art.paragraphs[0].startswith("أجرى الرئيس الروسي فلاديمير بوتين اتصالاً هاتفياً")
    assert art.paragraphs[-1].startswith("كما أشار الناطق باسم الكرملين")
    caption_texts = {c.text for c in art.captions}
    for p in art.paragraphs:
        assert p not in ("TT", "20", TITLE_1)
        assert not p.isdigit()
        assert p not in caption_texts and not any(p.startswith(t) for t in caption_texts)
    assert [c.credit for c in art.captions] == ["أ.ب", "د.ب.أ", "روسيا اليوم", "رويترز"]
    assert len(set(art.captions)) == 4
    assert art.captions[0] == Caption("الرئيس الروسي فلاديمير بوتين", "أ.ب")
    assert art.related == [t.id for t in _teasers(sample)]
    assert art.origin == f"{SAMPLE}:1"


def test_sample_article_2(sample):
    art = _articles(sample)[1]
    assert art.title == TITLE_2
    assert art.subtitle == ""
    assert len(art.paragraphs) == 3
    assert "(1701)" in art.paragraphs[1]  # a parenthesis inside a paragraph is not a caption
    assert [c.credit for c in art.captions] == ["أ.ف.ب"]
    assert art.captions[0].text.startswith("رجل يمشي بجوار مركبات متضررة")
    assert art.related == []
    assert art.origin == f"{SAMPLE}:84"


def test_sample_teasers(sample):
    teasers = _teasers(sample)
    assert {t.section for t in teasers} == {"المشرق العربي"}
    first = teasers[0]
    assert first.title == "لجنة «السلم الأهلي» في طرطوس تقدم التعازي بضحايا مجزرة حرف بنمرة"
    assert (first.author, first.location) == ("سعاد جروس", "دمشق")
    assert first.captions == [Caption("انتشار قوات الأمن السوري في قرية حرف بنمرة",
                                      "وسائل إعلام رسمية")]
    assert len(first.paragraphs) == 1 and first.paragraphs[0].startswith("لجنة «السلم الأهلي»")
    assert teasers[2].location == "القامشلي (سوريا)"
    assert teasers[2].author == "كمال شيخو"
    assert teasers[3].title == "اتصال السوداني ــ الشرع يكسر الجمود"  # caption on its own line
    assert teasers[3].captions[0].credit == "إعلام حكومي"
    assert teasers[4].author == "«الشرق الأوسط»"
    assert teasers[4].captions[0].credit == "أ.ف.ب - أرشيفية"
    assert all(len(t.paragraphs) == 1 for t in teasers)


def test_sample_ids_are_stable_and_follow_title_and_source(sample):
    again = list(read(SAMPLE))
    assert [a.id for a in again] == [a.id for a in sample[0]]
    # the page names its outlet (pagedump.recover_source), so the id includes it
    expected = "t" + hashlib.sha1((normalize(TITLE_1) + "|aawsat").encode()).hexdigest()[:15]
    assert sample[0][0].id == expected
    with_source = list(read(SAMPLE, source="mirror"))
    assert {a.source for a in with_source} == {"mirror"}
    assert with_source[0].id != expected


def test_same_file_twice_is_read_once(sample):
    assert len(list(read_many([SAMPLE, SAMPLE]))) == 7


def test_make_id_prefers_record_id_then_url_then_title():
    assert make_id("abc", "http://x", "t", "s") == "abc"
    assert make_id(None, "http://x", "t", "s") == "u" + hashlib.sha1(b"http://x").hexdigest()[:15]
    # spelling variants of one headline (hamza, diacritics) give one id
    assert make_id(None, "", "أحمد يَكتب", "s") == make_id(None, "", "احمد يكتب", "s")
    assert make_id(None, "", "احمد", "s1") != make_id(None, "", "احمد", "s2")


def _full_article() -> Article:
    return Article(id="x1", title="عنوان", subtitle="فرعي", paragraphs=["أ", "ب"],
                   captions=[Caption("صورة", "رويترز"), Caption("بلا مصدر")], section="الخليج",
                   author="كاتب", location="الرياض",
                   date=datetime(2015, 7, 22, 0, 5, 53, tzinfo=timezone(timedelta(hours=3))),
                   url="http://e/1", source="aawsat", related=["t1"], origin="f.json:3")


def test_to_dict_is_json_ready_and_from_dict_inverts_it():
    art = _full_article()
    d = art.to_dict()
    assert d["date"] == "2015-07-22T00:05:53+03:00"
    assert d["captions"][0] == {"text": "صورة", "credit": "رويترز"}
    back = Article.from_dict(json.loads(json.dumps(d)))
    assert back == art
    naive = Article(id="n", title="t", paragraphs=["p"])
    assert Article.from_dict(naive.to_dict()) == naive


def test_content_hash_ignores_origin_only():
    art = _full_article()
    h = art.content_hash()
    assert len(h) == 64 and h == _full_article().content_hash()
    moved = _full_article()
    moved.origin = "elsewhere.json:9"
    assert moved.content_hash() == h
    edited = _full_article()
    edited.paragraphs[1] = "ج"
    assert edited.content_hash() != h
    redated = _full_article()
    redated.date = datetime(2015, 7, 22, 0, 5, 53, tzinfo=UTC)
    assert redated.content_hash() != h


def test_corpus_error_message_and_pickling():
    e = CorpusError("a/b.json", 12, "malformed JSON record")
    assert str(e) == "a/b.json:12: malformed JSON record"
    assert (e.path, e.line, e.reason) == ("a/b.json", 12, "malformed JSON record")
    assert str(CorpusError("a/b.json", None, "empty")) == "a/b.json: empty"
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == str(e) and back.line == 12
    assert e.partial is False and back.partial is False


def test_corpus_error_partial_flag_survives_pickling():
    e = CorpusError("a.zip!b.json", None, "cannot read: truncated", partial=True)
    assert e.partial is True and str(e) == "a.zip!b.json: cannot read: truncated"
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(e, protocol))
        assert type(back) is CorpusError
        assert (back.path, back.line, back.reason, back.partial) == (
            "a.zip!b.json", None, "cannot read: truncated", True)
    with pytest.raises(TypeError):
        CorpusError("p", 1, "r", True)  # type: ignore[misc]  # keyword-only


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    return path


def test_read_many_dedup_rules(tmp_path, caplog):
    teaser = {"id": "s1", "kind": "teaser", "title": "قصة", "body": "ملخص"}
    full = {"id": "s1", "title": "قصة", "body": "نص كامل"}
    other = {"id": "s2", "title": "أخرى", "body": "نص"}
    a = _write_jsonl(tmp_path / "a.jsonl", [teaser, other])
    b = _write_jsonl(tmp_path / "b.jsonl", [full, teaser, other, full])
    caplog.set_level(logging.DEBUG, logger="searchapp.corpus")
    errors: list[CorpusError] = []
    got = [(x.id, x.kind, x.paragraphs[0]) for x in read_many([a, b], on_error=errors.append)]
    # the article replaces the earlier teaser; later teaser, repeated s2, repeated article dropped
    assert got == [("s1", "teaser", "ملخص"), ("s2", "article", "نص"), ("s1", "article", "نص كامل")]
    assert sum("duplicate id" in r.getMessage() and r.levelno == logging.DEBUG
               for r in caplog.records) == 3
    assert errors == []  # identical repeats, and a teaser after its article, are routine
    # article first: the teaser never comes out
    assert [x.kind for x in read_many([tmp_path / "b.jsonl", a])] == ["article", "article"]


def test_read_directory_recursive_sorted_skips_unknown_extensions(tmp_path, caplog):
    (tmp_path / "sub").mkdir()
    _write_jsonl(tmp_path / "sub" / "b.jsonl", [{"title": "ب", "body": "نص ب"}])
    _write_jsonl(tmp_path / "a.jsonl", [{"title": "أ", "body": "نص أ"}])
    (tmp_path / "notes.md").write_text("# not a corpus file", "utf-8")
    caplog.set_level(logging.WARNING, logger="searchapp.corpus")
    errors: list[CorpusError] = []
    got = [a.title for a in read(tmp_path, on_error=errors.append)]
    assert got == ["أ", "ب"]
    assert errors == []
    assert any("notes.md" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)


def test_missing_path_is_reported_not_raised(tmp_path, caplog):
    errors: list[CorpusError] = []
    assert list(read(tmp_path / "nope.json", on_error=errors.append)) == []
    assert len(errors) == 1 and "no such file" in errors[0].reason
    caplog.set_level(logging.ERROR, logger="searchapp.corpus")
    assert list(read(tmp_path / "nope.json")) == []  # default: logged at ERROR
    assert any(r.levelno == logging.ERROR and "nope.json" in r.getMessage()
               for r in caplog.records)
