"""BLEU, chrF and ROUGE scorers in Chinese and English, and the corpus helpers."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from tianping.core import ConfigError, Item, Response
from tianping.scoring import Graded, Scorer, get_scorer
from tianping.scoring._text import (
    JiebaTokenizer,
    corpus_bleu,
    corpus_chrf,
    is_chinese,
    references_of,
    sentence_metric,
)

METRICS = ("bleu", "chrf", "rouge1", "rouge2", "rougeL")
ZH_REF = "今天天气很好，我们去公园散步。"
EN_REF = "The cat sat on the mat."


def item(answer: str | None = ZH_REF, lang: str | None = None, **meta: Any) -> Item:
    return Item(id="i1", prompt="p", answer=answer, lang=lang, meta=meta)


def response(text: str | None) -> Response:
    return Response(run_id="r", item_id="i", position=0, request_key="k", status="done", text=text)


def grade(metric: str, it: Item, text: str | None) -> Graded:
    return asyncio.run(get_scorer(metric).score(it, response(text)))


@pytest.mark.parametrize("metric", METRICS)
def test_registered_with_version(metric: str) -> None:
    scorer = get_scorer(metric)
    assert isinstance(scorer, Scorer)
    assert scorer.name == metric
    assert scorer.version == "1"


@pytest.mark.parametrize("metric", METRICS)
def test_identical_chinese_is_one_and_disjoint_is_zero(metric: str) -> None:
    same = grade(metric, item(), ZH_REF)
    assert same.value == pytest.approx(1.0)
    disjoint = grade(metric, item(), "明日下雨")
    assert disjoint.value == pytest.approx(0.0)


@pytest.mark.parametrize("metric", METRICS)
def test_identical_english_is_one_and_disjoint_is_zero(metric: str) -> None:
    assert grade(metric, item(EN_REF), EN_REF).value == pytest.approx(1.0)
    assert grade(metric, item(EN_REF), "Quiz Jk").value == pytest.approx(0.0)


@pytest.mark.parametrize("metric", METRICS)
def test_partial_overlap_is_between(metric: str) -> None:
    value = grade(metric, item(), "今天天气不错，我们去公园走走。").value
    assert value is not None
    assert 0.1 < value < 0.9


def test_rouge_library_default_scores_chinese_zero_ours_does_not() -> None:
    from rouge_score.rouge_scorer import RougeScorer

    pair = ("今天天气很好", "今天天气很好")
    default = RougeScorer(["rouge1"]).score(*pair)["rouge1"].fmeasure
    assert default == 0.0  # the library keeps only [a-z0-9]: every Chinese token vanishes
    assert sentence_metric("rouge1", pair[1], [pair[0]], chinese=True) == pytest.approx(1.0)
    close = sentence_metric("rouge1", "今天天气不错", ["今天天气很好"], chinese=True)
    assert 0.0 < close < 1.0
    assert sentence_metric("rouge1", "明日下雨", ["今天天气很好"], chinese=True) == 0.0


def test_jieba_tokenizer_drops_punctuation_and_lowercases() -> None:
    words = JiebaTokenizer().tokenize("我们去公园，Hello World！")
    assert not {"，", "！", " "} & set(words)
    assert {"我们", "hello"} <= set(words)


def test_language_from_references_then_item() -> None:
    # The references decide: an en->zh translation item (lang en) is scored as Chinese.
    assert is_chinese("en", [ZH_REF])
    assert not is_chinese("zh-CN", [EN_REF])
    assert is_chinese(None, [ZH_REF])
    assert not is_chinese(None, [EN_REF])
    assert is_chinese("zh-CN", [""])  # nothing to look at: the item's language
    assert "jieba" in grade("rouge1", item(), ZH_REF).explanation
    assert "rouge_score tokens" in grade("rouge1", item(EN_REF), EN_REF).explanation
    assert "13a" in grade("bleu", item(EN_REF, lang="en"), EN_REF).explanation
    assert "13a tokens" in grade("bleu", item(EN_REF, lang="zh"), EN_REF).explanation  # zh->en


def test_several_references_from_meta() -> None:
    it = item(answer=None, references=["完全无关的句子", ZH_REF])
    assert references_of(it) == ["完全无关的句子", ZH_REF]
    for metric in METRICS:
        g = grade(metric, it, ZH_REF)
        assert g.value == pytest.approx(1.0), metric
        assert "2 references" in g.explanation


def test_malformed_meta_references_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"meta\.references"):
        grade("bleu", item(references="not a list"), "x")


def test_no_response_and_no_reference() -> None:
    g = grade("bleu", item(), None)
    assert (g.value, g.label) == (None, "no_response")
    g = grade("rougeL", item(answer=None), "text")
    assert (g.value, g.label) == (None, "no_reference")


def test_corpus_helpers() -> None:
    hyps = [ZH_REF, "明日下雨"]
    refs: list[str | list[str]] = [ZH_REF, ["明日下雨", "明天会下雨"]]
    assert corpus_bleu(hyps, refs) == pytest.approx(1.0)
    assert corpus_chrf(hyps, refs) == pytest.approx(1.0)
    assert 0.0 < corpus_bleu([EN_REF, "a dog"], [EN_REF, "a cat ran"], lang="en") < 1.0
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        corpus_bleu(hyps, [ZH_REF])


def test_libraries_load_lazily_and_jieba_quietly() -> None:
    code = (
        "import sys\n"
        "import tianping.scoring._text as t\n"
        "assert not {'jieba', 'rouge_score', 'sacrebleu'} & set(sys.modules), sys.modules\n"
        "print(t.sentence_metric('rouge1', '今天天气很好', ['今天天气很好'], True))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1.0"
    assert proc.stderr == ""  # jieba's "Building prefix dict ..." lines are silenced
