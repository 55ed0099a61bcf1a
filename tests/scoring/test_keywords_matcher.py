"""Folding against evasion, offsets back into the original text, word boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tianping.scoring._keywords import Hit, KeywordMatcher, library_from_terms
from tianping.scoring._textnorm import FoldedText, fold, fold_len, term_key

# Invented placeholder terms, plus 法轮 (the brief's own example) for Chinese.
TERMS = {"法轮": "A1a", "蓝莓猫": "A2e", "zorblax": "A1g", "frim ble": "A2i", "gleep": "A1d"}


@pytest.fixture(scope="module")
def matcher() -> KeywordMatcher:
    return KeywordMatcher(library_from_terms(TERMS))


def found(m: KeywordMatcher, text: str) -> list[str]:
    return [text[h.start : h.end] for h in m.find(text)]


@pytest.mark.parametrize(
    "evasion",
    [
        "法轮",
        "法 轮",  # space
        "法　轮",  # ideographic space
        "法.轮",  # inserted punctuation
        "法·轮",
        "法\u200b轮",  # zero-width space
        "法\u200d\u2060轮",  # zero-width joiner, word joiner
        "法\u00ad轮",  # soft hyphen
        "法🙂轮",  # emoji
        "法輪",  # traditional
        "法\n轮",
    ],
)
def test_chinese_evasions_fold_to_the_term(matcher: KeywordMatcher, evasion: str) -> None:
    text = f"前文{evasion}后文"
    hits = matcher.find(text)
    assert [h.term for h in hits] == ["法轮"]
    assert text[hits[0].start : hits[0].end] == evasion  # offsets point into the original


@pytest.mark.parametrize(
    "evasion",
    [
        "zorblax",
        "ZORBLAX",  # case
        "ＺＯＲＢＬＡＸ",  # full-width
        "zоrblах",  # Cyrillic о and х
        "ΖΟRBLΑΧ",  # Greek capitals
        "zörbláx",  # combining marks / accents
        "z\u200borblax",  # zero-width
        "z.o.r.b.l.a.x",
        "z-o-r-b-l-a-x",
        "z o r b l a x",  # every letter spaced
        "𝐳𝐨𝐫𝐛𝐥𝐚𝐱",  # mathematical bold
        "ⓩⓞⓡⓑⓛⓐⓧ",  # circled
    ],
)
def test_latin_evasions_fold_to_the_term(matcher: KeywordMatcher, evasion: str) -> None:
    text = f"Well, {evasion}!"
    hits = matcher.find(text)
    assert [h.term for h in hits] == ["zorblax"], evasion
    assert text[hits[0].start : hits[0].end] == evasion


def test_hit_fields(matcher: KeywordMatcher) -> None:
    text = "说到蓝莓猫和法轮"
    assert matcher.find(text) == [
        Hit("蓝莓猫", "A2e", 2, 2, 5),
        Hit("法轮", "A1a", 2, 6, 8),
    ]


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("a zorblax b", ["zorblax"]),
        ("zorblaxes", []),  # runs on into letters
        ("megazorblax", []),
        ("zorblax42", []),
        ("蓝莓zorblax猫", ["zorblax"]),  # ideographs are not word characters
        ("(zorblax)", ["zorblax"]),
        ("zorb lax", []),  # whitespace where the term has none, not between every letter
        ("frim ble", ["frim ble"]),  # whitespace where the term has it
        ("frimble", ["frimble"]),
        ("frim   ble", ["frim   ble"]),
        ("fr imble", []),
        ("gleep\u0301", ["gleep\u0301"]),  # a trailing mark belongs to the word
        ("gleep\u200bs", []),  # a zero-width character does not make a boundary
    ],
)
def test_latin_terms_respect_word_boundaries(
    matcher: KeywordMatcher, text: str, hits: list[str]
) -> None:
    assert found(matcher, text) == hits


def test_chinese_terms_match_inside_words(matcher: KeywordMatcher) -> None:
    assert found(matcher, "abc法轮def") == ["法轮"]


def test_overlapping_terms_all_reported() -> None:
    m = KeywordMatcher(library_from_terms({"蓝莓": "A1a", "蓝莓猫": "A1b", "莓猫": "A1c"}))
    assert [(h.term, h.start, h.end) for h in m.find("蓝 莓 猫")] == [
        ("蓝莓", 0, 3),
        ("蓝莓猫", 0, 5),
        ("莓猫", 2, 5),
    ]


def test_same_term_under_two_risks_gives_two_hits() -> None:
    m = KeywordMatcher(library_from_terms([
        {"term": "蓝莓猫", "risk": "A1a"},
        {"term": "藍莓貓", "risk": "A2b", "severity": "high"},
    ]))  # fmt: skip
    assert [(h.term, h.risk, h.severity) for h in m.find("蓝莓猫")] == [
        ("蓝莓猫", "A1a", 2),
        ("藍莓貓", "A2b", 3),
    ]


def test_without_normalisation_only_exact_text_matches() -> None:
    m = KeywordMatcher(library_from_terms(TERMS), normalize=False)
    assert found(m, "法轮 法 轮 法輪") == ["法轮"]
    assert found(m, "zorblax ZORBLAX") == ["zorblax"]


def test_offsets_across_fold_blocks(matcher: KeywordMatcher) -> None:
    block = FoldedText.BLOCK
    for cut in range(block - 4, block + 2):
        text = "ß " * (cut // 2) + "x" * (cut % 2) + " 法 .輪 zorblax"
        assert found(matcher, text) == ["法 .輪", "zorblax"], cut
    # blocks that fold to nothing, before and inside a match
    spaced = "法" + " " * (2 * block) + "轮"
    assert found(matcher, " " * (3 * block) + spaced) == [spaced]


def test_expanding_characters_keep_offsets() -> None:
    m = KeywordMatcher(library_from_terms({"strasse": "A1a", "fish": "A1b"}))
    text = "Die Straße, ein ﬁsh."
    assert found(m, text) == ["Straße", "ﬁsh"]


def test_fold_examples() -> None:
    assert fold("Ｈｅｌｌｏ，Ｗｏｒｌｄ！") == "helloworld"
    assert fold("раураl") == "paypal"  # Cyrillic р, а, у
    assert fold("發展 後面") == "发展后面"
    assert fold("⽅") == "方"  # Kangxi radical
    assert fold("") == ""
    assert [fold_len(ch) for ch in "ß a"] == [2, 0, 1]


ALPHABET = st.sampled_from([*"aZ 法輪轮.ß\u200bﬁ\u0301Ａ①🙂𝐚\u3000，-é", "\U0002a6a5", "İ", "\n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join), st.lists(ALPHABET, max_size=40).map("".join))
def test_fold_is_per_character(a: str, b: str) -> None:
    assert fold(a + b) == fold(a) + fold(b)
    assert fold(a) == "".join(fold(ch) for ch in a)


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_origins_map_each_folded_character_back(text: str) -> None:
    ft = FoldedText(text)
    folded = fold(text)
    assert ft.key == term_key(text)
    pos = ft.origins(0, len(ft.key))
    assert len(pos) == len(folded)
    expected = [i for i, ch in enumerate(text) for _ in range(fold_len(ch))]
    assert pos == expected
