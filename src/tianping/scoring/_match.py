"""Scorers that grade by matching: exact, normalized, choice, numeric and regex.

Every scorer first applies the same two rules: a response with no text (a failed
item) cannot be graded (value None, label ``no_response``), and a response the
vendor's safety system blocked fails (value 0.0, label ``refused_by_service``).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import ClassVar

from ..core import Item, Response
from ._base import Graded
from ._normalize import extract_choice, extract_number, normalize
from ._registry import register_scorer

__all__ = [
    "ChoiceScorer",
    "ExactScorer",
    "NormalizedScorer",
    "NumericScorer",
    "RegexScorer",
]


def _short(text: str, limit: int = 60) -> str:
    """``text`` quoted for an explanation, on one line and cut to ``limit`` characters."""
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _ungradable(response: Response) -> Graded | None:
    """The verdict shared by all matching scorers when there is nothing to match."""
    if response.refused_by_service:
        code = f" ({response.vendor_code})" if response.vendor_code else ""
        return Graded(0.0, "refused_by_service", f"the service blocked the answer{code}")
    if response.text is None:
        return Graded(None, "no_response", f"no response text (status {response.status})")
    return None


def _no_reference(what: str) -> Graded:
    return Graded(None, "no_reference", f"the item has no {what} to compare with")


def _passed(ok: bool, explanation: str) -> Graded:
    return Graded(1.0 if ok else 0.0, "correct" if ok else "incorrect", explanation)


@register_scorer
class ExactScorer:
    """The response equals the reference answer, surrounding whitespace aside."""

    name: ClassVar[str] = "exact"
    version: ClassVar[str] = "1"

    async def score(self, item: Item, response: Response) -> Graded:
        if (early := _ungradable(response)) is not None:
            return early
        if item.answer is None:
            return _no_reference("answer")
        assert response.text is not None
        got, want = response.text.strip(), item.answer.strip()
        verb = "equals" if got == want else "differs from"
        return _passed(got == want, f"response {_short(got)} {verb} expected {_short(want)}")


@register_scorer
class NormalizedScorer:
    """The response equals (or, with ``contains``, contains) the reference answer after
    :func:`normalize`: width, case, punctuation, whitespace and traditional/simplified
    Chinese do not count."""

    name: ClassVar[str] = "normalized"
    version: ClassVar[str] = "1"

    def __init__(self, *, contains: bool = False) -> None:
        self.contains = contains

    async def score(self, item: Item, response: Response) -> Graded:
        if (early := _ungradable(response)) is not None:
            return early
        if item.answer is None:
            return _no_reference("answer")
        assert response.text is not None
        want = normalize(item.answer, lang=item.lang)
        got = normalize(response.text, lang=item.lang)
        if not want:
            return Graded(None, "no_reference", "the reference answer is empty once normalized")
        ok = want in got if self.contains else got == want
        if self.contains:
            verb = "contains" if ok else "does not contain"
        else:
            verb = "equals" if ok else "differs from"
        return _passed(ok, f"normalized response {_short(got)} {verb} {_short(want)}")


@register_scorer
class ChoiceScorer:
    """Multiple choice: the letter :func:`extract_choice` reads from the response equals
    the item's answer letter. The label is the letter found, or ``none``."""

    name: ClassVar[str] = "choice"
    version: ClassVar[str] = "1"

    async def score(self, item: Item, response: Response) -> Graded:
        if (early := _ungradable(response)) is not None:
            return early
        if not item.choices:
            return Graded(None, "no_choices", "the item has no choices to pick from")
        if item.answer is None:
            return _no_reference("answer letter")
        want = _answer_letter(item.answer, item.choices)
        if want is None:
            return Graded(
                None,
                "bad_reference",
                f"answer {_short(item.answer)} is neither a letter A-"
                f"{chr(ord('A') + len(item.choices) - 1)} nor an option's text",
            )
        assert response.text is not None
        got, how = extract_choice(response.text, item.choices)
        if got is None:
            return Graded(0.0, "none", f"expected {want}, found no choice: {how}")
        return Graded(float(got == want), got, f"expected {want}, found {got} via {how}")


def _answer_letter(answer: str, choices: tuple[str, ...]) -> str | None:
    """The reference as a letter: "B", "b", "(B)"; or the letter of an option's text."""
    letter = answer.strip().strip("()（）.").upper()
    if len(letter) == 1 and 0 <= ord(letter) - ord("A") < len(choices):
        return letter
    wanted = normalize(answer)
    matches = [i for i, choice in enumerate(choices) if normalize(choice) == wanted]
    return chr(ord("A") + matches[0]) if len(matches) == 1 else None


@register_scorer
class NumericScorer:
    """The number :func:`extract_number` reads from the response is within ``rel_tol``
    (relative) or ``abs_tol`` (absolute) of the item's answer."""

    name: ClassVar[str] = "numeric"
    version: ClassVar[str] = "1"

    def __init__(self, *, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> None:
        if rel_tol < 0 or abs_tol < 0:
            raise ValueError("rel_tol and abs_tol must not be negative")
        self.rel_tol = rel_tol
        self.abs_tol = abs_tol

    async def score(self, item: Item, response: Response) -> Graded:
        if (early := _ungradable(response)) is not None:
            return early
        if item.answer is None:
            return _no_reference("answer")
        try:
            want: float | None = float(item.answer.replace(",", ""))
        except ValueError:
            want = extract_number(item.answer)
        if want is None:
            return Graded(None, "bad_reference", f"answer {_short(item.answer)} is not a number")
        assert response.text is not None
        got = extract_number(response.text)
        if got is None:
            return Graded(0.0, "no_number", f"expected {want:g}, found no number in the response")
        ok = math.isclose(got, want, rel_tol=self.rel_tol, abs_tol=self.abs_tol)
        relation = "matches" if ok else "differs from"
        return _passed(ok, f"found {got:g}, which {relation} expected {want:g}")


@lru_cache(maxsize=256)
def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


@register_scorer
class RegexScorer:
    """``re.search`` of the item's ``target`` (or, without one, its ``answer``) in the
    response; case-insensitive and with ``.`` matching newlines unless turned off."""

    name: ClassVar[str] = "regex"
    version: ClassVar[str] = "1"

    def __init__(self, *, ignore_case: bool = True, dotall: bool = True) -> None:
        self.flags = (re.IGNORECASE if ignore_case else 0) | (re.DOTALL if dotall else 0)

    async def score(self, item: Item, response: Response) -> Graded:
        if (early := _ungradable(response)) is not None:
            return early
        pattern = item.target if item.target is not None else item.answer
        if pattern is None:
            return _no_reference("target pattern or answer")
        try:
            compiled = _compile(pattern, self.flags)
        except re.error as exc:
            return Graded(None, "bad_pattern", f"invalid pattern {_short(pattern)}: {exc}")
        assert response.text is not None
        found = compiled.search(response.text)
        if found is None:
            return _passed(False, f"pattern {_short(pattern)} not found in the response")
        return _passed(True, f"pattern {_short(pattern)} found as {_short(found.group())}")
