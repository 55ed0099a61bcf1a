"""The ``keyfacts`` scorer: how many of an item's key facts a response states.

For summaries, beside ROUGE: ROUGE rewards wording shared with one reference,
key facts reward keeping what matters (a date, an amount, who decided what).
The facts are in ``item.meta["key_facts"]``, a list whose entries are a short
phrase or a list of equivalent phrases (``[["3月1日", "三月一日"], "120元"]``);
a fact is present when any of its phrases occurs in the response. Both sides are
compared after :func:`~tianping.scoring._normalize.normalize` (NFKC, case,
punctuation, traditional/simplified Chinese), with the spaces next to Chinese
characters removed and apostrophes read as spaces ("Mensah's" holds "Mensah").
A phrase that begins or ends with a Latin letter or a digit must not run on into
one in the response: ``12`` is not found in ``120``, nor ``art`` in ``start``.
"""

from __future__ import annotations

import re
from typing import ClassVar

from ..core import ConfigError, Item, Response
from ._base import Graded
from ._normalize import normalize
from ._registry import register_scorer
from ._textnorm import is_wordish

__all__ = ["KeyFactsScorer", "fact_present", "read_key_facts"]

_CJK = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff]"
_CJK_SPACE = re.compile(rf"(?<={_CJK}) | (?={_CJK})")
_SPLIT = str.maketrans({"，": "， ", "'": " ", "’": " "})


def _norm(text: str, lang: str | None) -> str:
    # A full-width comma is never a thousands separator ("12345，24小时" is two
    # numbers), and an apostrophe splits words, so "Mensah" is found in "Mensah's".
    return _CJK_SPACE.sub("", normalize(text.translate(_SPLIT), lang=lang))


def fact_present(phrase: str, text: str, lang: str | None = None) -> bool:
    """Is ``phrase`` in ``text`` once both are normalised (see the module docstring)?"""
    return _contains(_norm(text, lang), _norm(phrase, lang))


def _contains(hay: str, want: str) -> bool:
    """``want`` in ``hay`` (both normalised), not running on into a letter or digit."""
    if not want:
        return False
    edge_left, edge_right = is_wordish(want[0]), is_wordish(want[-1])  # CJK is not wordish
    start = hay.find(want)
    while start != -1:
        end = start + len(want)
        left_ok = not edge_left or start == 0 or not is_wordish(hay[start - 1])
        right_ok = not edge_right or end == len(hay) or not is_wordish(hay[end])
        if left_ok and right_ok:
            return True
        start = hay.find(want, start + 1)
    return False


def read_key_facts(item: Item) -> list[list[str]]:
    """The item's key facts, each as its list of alternative phrases.

    Raises ValueError naming what is wrong when ``meta.key_facts`` is missing, not a
    non-empty list, or holds an entry that is neither a phrase nor a non-empty list of
    phrases.
    """
    raw = item.meta.get("key_facts")
    if raw is None:
        raise ValueError("the item has no meta.key_facts")
    if not isinstance(raw, list) or not raw:
        raise ValueError("meta.key_facts must be a non-empty list")
    facts: list[list[str]] = []
    for i, entry in enumerate(raw, 1):
        alternatives = [entry] if isinstance(entry, str) else entry
        if (
            not isinstance(alternatives, list)
            or not alternatives
            or not all(isinstance(a, str) and _norm(a, item.lang) for a in alternatives)
        ):
            raise ValueError(
                f"meta.key_facts entry {i} must be a phrase or a non-empty list of "
                f"phrases, not {entry!r}"
            )
        facts.append(alternatives)
    return facts


@register_scorer
class KeyFactsScorer:
    """The share of ``meta.key_facts`` that the response states (any alternative counts).

    Labels: ``complete`` (all present), ``partial``, ``none``; ``no_response``,
    ``refused_by_service``, and ``no_reference``/``bad_reference`` when the item's
    key facts are missing or malformed. The explanation also says when the response
    is longer than the item's ``meta.max_chars`` or ``meta.max_words``.

    ``max_length_ratio`` (off by default): a response longer than this many times the
    item's limit scores 0.0 with label ``too_long``, whatever facts it states, so
    that echoing the source cannot pass a clause graded by key facts alone
    (``-o keyfacts.max_length_ratio=1.5``).
    """

    name: ClassVar[str] = "keyfacts"
    version: ClassVar[str] = "1"

    def __init__(self, *, max_length_ratio: float | None = None) -> None:
        if max_length_ratio is not None and (
            isinstance(max_length_ratio, bool)
            or not isinstance(max_length_ratio, int | float)
            or not max_length_ratio > 0
        ):
            raise ConfigError(
                f"keyfacts: max_length_ratio must be a positive number, not {max_length_ratio!r}"
            )
        self.max_length_ratio = max_length_ratio

    async def score(self, item: Item, response: Response) -> Graded:
        if response.refused_by_service:
            code = f" ({response.vendor_code})" if response.vendor_code else ""
            return Graded(0.0, "refused_by_service", f"the service blocked the answer{code}")
        if response.text is None:
            return Graded(None, "no_response", f"no response text (status {response.status})")
        if "key_facts" not in item.meta:
            return Graded(None, "no_reference", "the item has no meta.key_facts to look for")
        try:
            facts = read_key_facts(item)
        except ValueError as exc:
            return Graded(None, "bad_reference", str(exc))
        text = response.text
        hay = _norm(text, item.lang)
        missing = [f[0] for f in facts if not any(_contains(hay, _norm(a, item.lang)) for a in f)]
        found = len(facts) - len(missing)
        explanation = f"{found} of {len(facts)} key facts present"
        if missing:
            explanation += "; missing: " + ", ".join(repr(m) for m in missing)
        over = _over_limit(item, text)
        if over is not None:
            size, unit, limit = over
            explanation += f"; the response is {size} {unit}, over the item's limit of {limit}"
            if self.max_length_ratio is not None and size > self.max_length_ratio * limit:
                return Graded(
                    0.0,
                    "too_long",
                    f"{explanation}, more than {self.max_length_ratio:g} times the limit",
                )
        label = "complete" if not missing else "none" if not found else "partial"
        return Graded(found / len(facts), label, explanation)


def _over_limit(item: Item, text: str) -> tuple[int, str, int] | None:
    """(size, unit, limit) when the response is longer than the item's ``meta.max_chars``
    (characters, whitespace aside) or ``meta.max_words``: copying the source states
    every fact, so a reviewer should see it. ROUGE's precision penalises length too."""
    for key, unit, size in (
        ("max_chars", "characters", len("".join(text.split()))),
        ("max_words", "words", len(text.split())),
    ):
        limit = item.meta.get(key)
        if isinstance(limit, int) and not isinstance(limit, bool) and size > limit:
            return size, unit, limit
    return None
