"""The fast indexing path must produce exactly what the analyzer chain would."""

import pickle

import pytest
from whoosh.fields import TEXT

from searchapp.analysis import ArabicAnalyzer
from searchapp.schema import ArabicText, build_schema

TEXTS = [
    "وأُطلِقَ إطلاقِ النّارِ، وقـــال المسؤولُ: «بنّاء» و(Reuters) ٢٠٢٥ و2025 الكتابُ الكتاب",
    "ـــ ـــ كلمة",
    "",
    "اتصالاً هاتفياً مع الرئيس فلاديمير بوتين — iPhone-16 ﻻ ﷲ",
]


def decoded(field, text):
    fmt = field.format
    out = []
    for term, freq, weight, value in field.index(text):
        positions = fmt.decode_positions(value) if fmt.supports("positions") else None
        out.append((term, freq, weight, fmt.decode_frequency(value), positions))
    return sorted(out)


@pytest.mark.parametrize("phrase", [True, False])
@pytest.mark.parametrize("text", TEXTS)
def test_fast_index_equals_analyzer_chain(text, phrase):
    fast = ArabicText(phrase=phrase)
    reference = TEXT(analyzer=ArabicAnalyzer(), phrase=phrase)
    assert decoded(fast, text) == decoded(reference, text)
    assert all(freq > 0 for _, freq, _, _, _ in decoded(fast, text))


def test_schema_pickles():
    schema = pickle.loads(pickle.dumps(build_schema()))
    assert list(schema["body"].index("الكتاب")) == list(build_schema()["body"].index("الكتاب"))
