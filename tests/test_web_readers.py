"""What readers see (issue 13, points 5/3 wiring, 7, 8, 10, 11, 12, 14): bylines, names, counts,
the article page, snippets, the no-JavaScript datalist, collapsing and autocorrection.

Over the page corpus of :mod:`tests.test_web_pages` plus records made for these points: a
story syndicated by three outlets, an article from a source with no known name, an article
with captions and a link to the original, a long article matching in three distant places.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from searchapp import reindex
from searchapp.results import Hit, SearchResults
from searchapp.sources import BUILTIN_SOURCE_NAMES, load_source_names, source_name
from searchapp.web import create_app
from searchapp.web_args import RESULTS, SIMILAR_ARTICLES, count_phrase
from tests.test_web_pages import news_records

ROOT = Path(__file__).resolve().parent.parent
FILLER = " ".join(["وأشار التقرير إلى أن الأسواق المحلية شهدت حركة معتدلة خلال الفترة"] * 8)
WIRE = ("أعلنت وزارة الطاقة اليوم خطة جديدة لتطوير محطات الكهرباء في المنطقة الشرقية "
        "بتكلفة تتجاوز ملياري ريال وتستمر خمس سنوات")


def reader_records() -> list[dict]:
    recs = news_records()
    recs += [{"id": f"wire-{n}", "title": "وزارة الطاقة تعلن خطة لتطوير محطات الكهرباء",
              "body": [WIRE, "وقال المتحدث إن الخطة تشمل ثلاث مراحل."], "source": src,
              "date": f"2015-07-2{n}", "url": f"https://example.com/wire/{n}"}
             for n, src in enumerate(["was", "okaz", "alriyadh"])]
    recs.append({"id": "latin", "title": "مهرجان الصيف في أبها", "body": ["افتتح مهرجان الصيف."],
                 "source": "newpaper", "date": "2015-07-21", "author": "John Smith"})
    recs.append({"id": "capt", "title": "افتتاح متحف التراث في جدة", "source": "aawsat",
                 "author": "سارة الأحمد", "date": "2015-07-21",
                 "url": "https://aawsat.com/home/article/1",
                 "captions": [{"text": f"صورة رقم {i} من المتحف"} for i in range(4)],
                 "body": ["افتتح أمير المنطقة متحف التراث في جدة.", "ويضم المتحف آلاف القطع."]})
    recs.append({"id": "long", "title": "تقرير الأسواق", "source": "alyaum", "date": "2015-07-22",
                 "body": [f"ارتفعت أسهم الطاقة في بداية التداول. {FILLER}",
                          f"{FILLER} وتراجعت أسهم الطاقة لاحقًا. {FILLER}",
                          f"{FILLER} وأغلقت أسهم الطاقة على ارتفاع."]})
    return recs


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("readers")
    src = root / "news.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reader_records()),
                   "utf-8")
    assert reindex([src], root / "index").errors == []
    return root / "index"


@pytest.fixture(scope="module")
def app(index_dir):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


# -- 7. mixed right-to-left / left-to-right lines -------------------------------------------------

def assert_pieces_isolated(line) -> None:
    """Every piece of a meta line is its own <bdi>; only separators are bare text."""
    bare = "".join(t for t in line.find_all(string=True, recursive=False)).strip()
    assert set(bare) <= set(" ·"), (bare, str(line)[:300])
    assert line.select(":scope > bdi")


def test_result_bylines_isolate_source_date_and_author(client):
    doc = page(client, "/?q=" + quote("مهرجان الصيف"))
    line = doc.select_one(".hit-meta")
    assert_pieces_isolated(line)
    assert line.select_one("bdi.meta-date time")["datetime"].startswith("2015-07-21")
    assert line.select_one("bdi.meta-author").get_text() == "John Smith"


def test_article_byline_and_related_lists_isolate_every_piece(client):
    doc = page(client, "/article/capt")
    byline = doc.select_one(".byline")
    assert_pieces_isolated(byline)
    assert byline.select_one("bdi > time")  # the date, too, is isolated from the source
    for meta in doc.select(".related .meta"):
        assert_pieces_isolated(meta)


def test_help_code_examples_are_left_to_right_tokens(client):
    doc = page(client, "/help")
    latin = [c for c in doc.select("code") if re.search("[A-Za-z/]", c.get_text())]
    assert {"date:2024-01..2024-06", "/api/search?q=", "source:aawsat"} <= {
        c.get_text() for c in latin}
    assert all(c.get("dir") == "ltr" for c in latin), [str(c) for c in latin if
                                                       c.get("dir") != "ltr"]
    # No Latin syntax left bare in the Arabic prose of the table.
    for cell in doc.select(".syntax td:nth-of-type(2)"):
        bare = "".join(cell.find_all(string=True, recursive=False))
        assert not re.search("[A-Za-z]", bare), bare
    css = (ROOT / "static" / "style.css").read_text("utf-8")
    rule = re.search(r'code\[dir="ltr"\]\s*\{([^}]*)\}', css)
    assert rule and "nowrap" in rule.group(1) and "isolate" in rule.group(1)


# -- 8. newspaper names -------------------------------------------------------------------------

def test_builtin_names_cover_saudinewsnet():
    assert {"aawsat", "alriyadh", "okaz", "3alyoum", "aljazirah", "alyaum", "aleqtisadiya",
            "alwatan", "almadina", "alweeam", "sabq", "was", "arreyadi",
            "arriyadiyah"} <= BUILTIN_SOURCE_NAMES.keys()
    assert source_name("aawsat") == "الشرق الأوسط" and source_name("okaz") == "عكاظ"
    assert source_name("3alyoum") == "عين اليوم"
    assert source_name("newpaper") == "newpaper"  # unknown slugs as is


def test_names_from_environment_file_and_config(tmp_path):
    path = tmp_path / "names.json"
    path.write_text(json.dumps({"newpaper": "الجريدة الجديدة", "okaz": "صحيفة عكاظ"}), "utf-8")
    names = load_source_names(environ={"SEARCHAPP_SOURCE_NAMES": str(path)})
    assert names["newpaper"] == "الجريدة الجديدة" and names["okaz"] == "صحيفة عكاظ"
    assert names["aawsat"] == "الشرق الأوسط"
    over = load_source_names({"okaz": "عكاظ اليوم"}, environ={"SEARCHAPP_SOURCE_NAMES": str(path)})
    assert over["okaz"] == "عكاظ اليوم"
    path.write_text("[1, 2]", "utf-8")
    with pytest.raises(ValueError, match=r"names\.json"):
        load_source_names(environ={"SEARCHAPP_SOURCE_NAMES": str(path)})


def test_facets_and_bylines_show_names_and_filter_by_slug(index_dir, tmp_path):
    path = tmp_path / "names.json"
    path.write_text(json.dumps({"newpaper": "الجريدة الجديدة"}), "utf-8")
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir),
                         "SEARCHAPP_SOURCE_NAMES": str(path)}).test_client()
    doc = page(client, "/?q=" + quote("الاقتصاد"))
    chips = {a.select_one("bdi").get_text(): a["href"]
             for a in doc.select(".facet[data-facet=source] a")}
    assert "عكاظ" in chips and "okaz" not in chips and "source=okaz" in chips["عكاظ"]
    assert "عكاظ" in [b.get_text() for b in doc.select(".hit-meta .meta-source")]
    doc = page(client, "/?q=" + quote("مهرجان"))
    assert doc.select_one(".hit-meta .meta-source").get_text() == "الجريدة الجديدة"
    data = client.get("/api/search?q=" + quote("مهرجان")).get_json()
    assert data["hits"][0]["source"] == "newpaper"
    assert data["hits"][0]["source_name"] == "الجريدة الجديدة"
    assert {"value": "newpaper", "count": 1, "name": "الجريدة الجديدة"} in data["facets"]["source"]


# -- 10. counts and small texts -----------------------------------------------------------------

@pytest.mark.parametrize(("n", "text"), [
    (0, "لا نتائج"), (1, "نتيجة واحدة"), (2, "نتيجتان"), (3, "3 نتائج"), (10, "10 نتائج"),
    (11, "11 نتيجة"), (99, "99 نتيجة"), (100, "100 نتيجة"), (102, "102 نتيجة"),
    (103, "103 نتائج"), (111, "111 نتيجة"), (1000, "1,000 نتيجة"), (1003, "1,003 نتائج")])
def test_arabic_plural_of_results(n, text):
    assert count_phrase(n, RESULTS) == text


@pytest.mark.parametrize(("n", "text"), [(1, "مقال مشابه"), (2, "مقالان مشابهان"),
                                         (4, "4 مقالات مشابهة"), (12, "12 مقالًا مشابهًا")])
def test_arabic_plural_of_similar_articles(n, text):
    assert count_phrase(n, SIMILAR_ARTICLES) == text


@pytest.mark.parametrize(("q", "text"), [("كلمةغيرموجودةابدا", "لا نتائج"),
                                         ("مهرجان", "نتيجة واحدة"), ("متحف", "نتيجة واحدة"),
                                         ("الاقتصاد", "25 نتيجة")])
def test_result_count_uses_the_plural_rule(client, q, text):
    count = page(client, "/?q=" + quote(q) + "&correct=0").select_one(".result-count")
    assert count.get_text().startswith(text + " (")


def test_facet_counts_are_worded_by_the_same_rule(client):
    doc = page(client, "/?q=" + quote("الاقتصاد"))
    titles = [a["title"] for a in doc.select(".facet a")]
    assert "13 نتيجة" in titles and all("نتيج" in t or "نتائج" in t for t in titles)


SPACE_BEFORE_PUNCTUATION = re.compile(r"\s[\u060c\u061b\u061f:]")  # ، ؛ ؟ :


@pytest.mark.parametrize("url", ["/help", "/?q=" + quote("كلمةغيرموجودةابدا"), "/nope",
                                 "/?q=x&page=0"])
def test_no_space_before_punctuation_in_tips_and_help(client, url):
    resp = client.get(url)
    text = BeautifulSoup(resp.get_data(as_text=True), "html.parser").select_one("main").get_text()
    assert not SPACE_BEFORE_PUNCTUATION.search(text), SPACE_BEFORE_PUNCTUATION.findall(text)


def test_404_page_does_not_repeat_its_heading(client):
    doc = page(client, "/no-such-page", 404)
    heading = doc.select_one(".error-page h1").get_text()
    assert heading not in doc.select_one(".error-message").get_text()


def test_400_page_names_the_argument_in_arabic_and_keeps_the_query(client):
    doc = page(client, "/?q=" + quote("أسعار النفط") + "&page=0", 400)
    message = doc.select_one(".error-message").get_text()
    assert "رقم الصفحة" in message and "page" not in message
    assert doc.select_one("input#q")["value"] == "أسعار النفط"


# -- 11. the article page -----------------------------------------------------------------------

def test_article_text_comes_before_captions_which_are_folded(client):
    doc = page(client, "/article/capt")
    article = doc.select_one("article")
    order = [el.name if el.name == "figcaption" else "p"
             for el in article.find_all(["p", "figcaption"]) if "byline" not in el.get("class", [])]
    assert order.index("p") < order.index("figcaption")
    assert len(article.select("details figcaption")) == 4
    assert not article.select("details[open]")


def test_article_shows_source_name_date_author_and_original_link(client):
    doc = page(client, "/article/capt")
    byline = doc.select_one(".byline")
    assert byline.select_one(".meta-source").get_text() == "الشرق الأوسط"
    assert byline.select_one(".meta-author").get_text() == "سارة الأحمد"
    assert "21 يوليو 2015" in byline.get_text()
    link = doc.select_one(".source-link a")
    assert link["href"] == "https://aawsat.com/home/article/1"
    assert "noopener" in link["rel"]
    # The link sits before the text, above the fold, not after the last paragraph.
    assert link.find_next("p") is not None and link.find_next("p").get_text().startswith("افتتح")


def test_no_original_link_for_a_non_http_url(client):
    assert not page(client, "/article/evil").select(".source-link a")


# -- 12. snippets on narrow screens -------------------------------------------------------------

def test_snippet_fragments_are_separate_elements(client):
    doc = page(client, "/?q=" + quote("أسهم الطاقة"))
    hit = next(h for h in doc.select(".hit") if "الأسواق" in h.select_one(".hit-title").get_text())
    fragments = hit.select(".snippet > .fragment")
    assert len(fragments) >= 2 and all(f.select("mark") for f in fragments)
    assert fragments[1].get_text().startswith(" … ")
    css = (ROOT / "static" / "style.css").read_text("utf-8")
    narrow = css[css.index("@media (max-width"):]
    assert re.search(r"\.fragment:nth-child\(n\+3\)\s*\{\s*display:\s*none", narrow)
    assert "mask-image" in narrow  # facet chips fade where they scroll on


# -- 14. autocomplete without JavaScript --------------------------------------------------------

def test_results_page_has_a_server_filled_datalist(client, app):
    doc = page(client, "/?q=" + quote("بوت"))
    box = doc.select_one("input#q")
    datalist = doc.select_one(f"datalist#{box['list']}")
    options = [o["value"] for o in datalist.select("option")]
    with app.app_context():
        expected = app.extensions["searchapp"].suggest("بوت", 9)
    assert "بوتين" in options and options == [s for s in expected if s != "بوت"][:8]
    assert not page(client, "/").select("datalist")  # nothing to complete yet


# -- issue 13 points 3 and 5 on the page: autocorrection and collapsing --------------------------

def test_syndicated_copies_fold_under_one_hit_with_a_count(client):
    doc = page(client, "/?q=" + quote("خطة تطوير محطات الكهرباء"))
    hits = [h for h in doc.select(".hit") if "محطات" in h.select_one(".hit-title").get_text()]
    assert len(hits) == 1
    similar = hits[0].select_one(".similar a")
    assert similar.get_text() == "مقالان مشابهان"
    assert "collapse=0" in similar["href"]
    all_copies = page(client, similar["href"])
    assert len([h for h in all_copies.select(".hit")
                if "محطات" in h.select_one(".hit-title").get_text()]) == 3
    data = client.get("/api/search?q=" + quote("خطة تطوير محطات الكهرباء")).get_json()
    assert len(data["hits"][0]["similar"]) == 2
    off = client.get("/api/search?collapse=0&q=" + quote("خطة تطوير محطات الكهرباء")).get_json()
    assert all(h["similar"] == [] for h in off["hits"])


def test_correction_is_searched_with_a_link_to_the_exact_words(client):
    doc = page(client, "/?q=" + quote("بوتبن"))
    note = doc.select_one(".corrected")
    assert "نتائج البحث عن «بوتين». ابحث بدلًا من ذلك عن «بوتبن»" in note.get_text()
    assert doc.select(".hit")
    exact = page(client, note.select_one("a")["href"])
    assert not exact.select(".corrected") and not exact.select(".hit")
    assert exact.select_one("input#q")["value"] == "بوتبن"
    data = client.get("/api/search?q=" + quote("بوتبن")).get_json()
    assert data["query"] == "بوتين" and data["corrected_from"] == "بوتبن"
    assert client.get("/api/search?correct=0&q=" + quote("بوتبن")).get_json()[
        "corrected_from"] is None


def test_corrected_line_from_result_fields(app, monkeypatch):
    """The template reads only SearchResults fields: checked without the engine's speller."""
    fake = SearchResults(query="ولي العهد", total=1, page=1, per_page=10,
                         hits=[Hit(id="capt", title="t", score=1.0, similar=("a", "b", "c"))],
                         corrected_from="ولي العحد")
    monkeypatch.setattr("searchapp.web.run_search", lambda args: fake)
    doc = page(app.test_client(), "/?q=" + quote("ولي العحد"))
    assert doc.select_one(".corrected a").get_text() == "ولي العحد"
    assert "correct=0" in doc.select_one(".corrected a")["href"]
    assert doc.select_one(".similar a").get_text() == "3 مقالات مشابهة"
