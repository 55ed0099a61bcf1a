"""Reference-based text metrics: BLEU, chrF and ROUGE-1/2/L, in Chinese and English.

Each scorer compares ``response.text`` with the item's reference: the list in
``item.meta["references"]`` when there is one, else ``item.answer``. Values are
in [0, 1] (sacrebleu's 0-100 scale divided by 100).

Chinese is chosen by the references (what the response is compared with):
Chinese when at least a tenth of their non-space characters are CJK
ideographs, so a translation item labelled with its source language is scored
in its target language; by ``item.lang`` (``zh...``) only when the references
are empty. Chinese uses sacrebleu's ``zh``
tokenizer for BLEU and jieba word segmentation (punctuation dropped) for ROUGE;
rouge_score's own tokenizer keeps only ``[a-z0-9]`` and so scores any Chinese
pair 0. English uses sacrebleu's ``13a`` and rouge_score's default tokenizer.
chrF works on characters and needs no tokenizer.

The libraries load on first use, not at import. jieba's dictionary is the slow
part: 1.3-2.2 s to build the first time on a machine (jieba then caches it in
the temp directory) and 0.7-1.0 s to load from that cache, plus 0.3-0.5 s to
import jieba (measured on a busy 2-core machine). Its log lines are silenced.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

from ..core import ConfigError, Item, Response
from ._base import Graded
from ._registry import register_scorer
from ._textnorm import looks_chinese

log = logging.getLogger(__name__)

_jieba_lock = threading.Lock()
_jieba_tok: Any = None


def _jieba() -> Any:
    """jieba's tokenizer with its dictionary loaded, quietly, on first call."""
    global _jieba_tok
    if _jieba_tok is None:
        with _jieba_lock:
            if _jieba_tok is None:
                started = time.perf_counter()
                with warnings.catch_warnings():
                    # jieba 0.42 has invalid escapes in regex literals (a
                    # SyntaxWarning when compiled without a cached .pyc)
                    warnings.simplefilter("ignore", SyntaxWarning)
                    warnings.simplefilter("ignore", DeprecationWarning)
                    import jieba
                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                log.debug("jieba dictionary loaded in %.2f s", time.perf_counter() - started)
                _jieba_tok = tok
    return _jieba_tok


class JiebaTokenizer:
    """A rouge_score tokenizer for Chinese: jieba words, lower-cased, punctuation dropped."""

    def tokenize(self, text: str) -> list[str]:
        words = _jieba().lcut(text)
        return [w.lower() for w in words if any(ch.isalnum() for ch in w)]


def is_chinese(lang: str | None, references: Sequence[str]) -> bool:
    """Chinese when the references look Chinese (the output language is what is
    compared, so an en->zh translation item is scored as Chinese); by ``lang``
    (``zh``, ``zh-CN`` ...) only when there are no references to look at."""
    text = "".join(references)
    if text.strip():
        return looks_chinese(text)
    return lang is not None and lang.lower().startswith("zh")


@lru_cache(maxsize=4)
def _bleu(chinese: bool) -> Any:
    from sacrebleu.metrics.bleu import BLEU

    return BLEU(tokenize="zh" if chinese else "13a", effective_order=True)


@lru_cache(maxsize=1)
def _chrf() -> Any:
    from sacrebleu.metrics.chrf import CHRF

    return CHRF()


@lru_cache(maxsize=8)
def _rouge(kind: str, chinese: bool) -> Any:
    from rouge_score.rouge_scorer import RougeScorer

    return RougeScorer([kind], tokenizer=JiebaTokenizer() if chinese else None)


def sentence_metric(
    metric: str, hypothesis: str, references: Sequence[str], chinese: bool
) -> float:
    """One of ``bleu``, ``chrf``, ``rouge1``, ``rouge2``, ``rougeL`` for one
    hypothesis, in [0, 1]; with several references, BLEU and chrF pool them and
    ROUGE takes the best."""
    refs = list(references)
    if metric == "bleu":
        value = float(_bleu(chinese).sentence_score(hypothesis, refs).score) / 100.0
    elif metric == "chrf":
        value = float(_chrf().sentence_score(hypothesis, refs).score) / 100.0
    elif metric in ("rouge1", "rouge2", "rougeL"):
        value = float(_rouge(metric, chinese).score_multi(refs, hypothesis)[metric].fmeasure)
    else:
        raise ValueError(f"unknown metric {metric!r}")
    return _unit(value)


def _unit(value: float) -> float:
    # sacrebleu's floating point can land a hair outside [0, 100]
    return min(1.0, max(0.0, value))


def _streams(refs: Sequence[str | Sequence[str]]) -> list[list[str | None]]:
    """Per-hypothesis references as sacrebleu's reference streams (None pads)."""
    per = [[r] if isinstance(r, str) else list(r) for r in refs]
    width = max((len(r) for r in per), default=0)
    return [[r[i] if i < len(r) else None for r in per] for i in range(width)]


def _corpus(
    metric: str,
    hypotheses: Sequence[str],
    references: Sequence[str | Sequence[str]],
    lang: str | None,
) -> float:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise ValueError("no hypotheses to score")
    flat = [r for refs in references for r in ([refs] if isinstance(refs, str) else refs)]
    chinese = is_chinese(lang, flat)
    scorer = _bleu(chinese) if metric == "bleu" else _chrf()
    return _unit(float(scorer.corpus_score(list(hypotheses), _streams(references)).score) / 100.0)


def corpus_bleu(
    hypotheses: Sequence[str],
    references: Sequence[str | Sequence[str]],
    lang: str | None = None,
) -> float:
    """Corpus BLEU in [0, 1]; ``references[i]`` is a string or a list of strings for
    ``hypotheses[i]``; ``lang`` None detects Chinese from the references."""
    return _corpus("bleu", hypotheses, references, lang)


def corpus_chrf(
    hypotheses: Sequence[str],
    references: Sequence[str | Sequence[str]],
    lang: str | None = None,
) -> float:
    """Corpus chrF in [0, 1]; arguments as :func:`corpus_bleu`."""
    return _corpus("chrf", hypotheses, references, lang)


def references_of(item: Item) -> list[str]:
    """``item.meta["references"]`` when present, else ``[item.answer]`` (or ``[]``)."""
    refs = item.meta.get("references")
    if refs is None:
        return [item.answer] if item.answer is not None else []
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        raise ConfigError(f"item {item.id!r}: meta.references must be a non-empty list of strings")
    return refs


_ROUGE_UNITS = ("rouge_score tokens", "jieba words")


class _TextMetric:
    name: ClassVar[str]
    version: ClassVar[str] = "1"
    title: ClassVar[str]
    units: ClassVar[tuple[str, str]]  # how the text is split: (English, Chinese)

    async def score(self, item: Item, response: Response) -> Graded:
        if response.text is None:
            return Graded(None, "no_response", f"No response text to compare ({self.title}).")
        refs = references_of(item)
        if not refs:
            return Graded(
                None,
                "no_reference",
                f"Item {item.id!r} has no answer or meta.references to compare with.",
            )
        chinese = is_chinese(item.lang, refs)
        value = sentence_metric(self.name, response.text, refs, chinese)
        n = len(refs)
        return Graded(
            value,
            None,
            f"{self.title} {value:.3f} against {n} reference{'s' if n != 1 else ''} "
            f"({self.units[chinese]}).",
        )


@register_scorer
class BleuScorer(_TextMetric):
    """Sentence BLEU (sacrebleu, exponential smoothing, effective order)."""

    name = "bleu"
    title = "BLEU"
    units = ("sacrebleu 13a tokens", "sacrebleu zh tokens")


@register_scorer
class ChrfScorer(_TextMetric):
    """Sentence chrF (sacrebleu, character 6-grams, beta 2)."""

    name = "chrf"
    title = "chrF"
    units = ("characters", "characters")


@register_scorer
class Rouge1Scorer(_TextMetric):
    """ROUGE-1 F-measure (best over the references)."""

    name = "rouge1"
    title = "ROUGE-1"
    units = _ROUGE_UNITS


@register_scorer
class Rouge2Scorer(_TextMetric):
    """ROUGE-2 F-measure (best over the references)."""

    name = "rouge2"
    title = "ROUGE-2"
    units = _ROUGE_UNITS


@register_scorer
class RougeLScorer(_TextMetric):
    """ROUGE-L F-measure (longest common subsequence; best over the references)."""

    name = "rougeL"
    title = "ROUGE-L"
    units = _ROUGE_UNITS
