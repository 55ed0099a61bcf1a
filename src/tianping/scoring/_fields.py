"""The ``fields`` scorer: a JSON object in the response against the expected one.

For extraction and named-entity items. The item's ``answer`` is a JSON object
(as a string); the response's first JSON object is compared with it field by
field. Values are normalised before comparing (NFKC, so full-width digits and
letters count as ASCII; case; whitespace; punctuation; traditional/simplified
Chinese; a leading English "the"; numbers as numbers, so ``120``, ``"120"`` and
``120.0`` agree). A
field whose value is a list counts each element once, as a set, order aside.
The value is the micro-F1 over all expected and found units (a scalar field is
one unit, a list field one unit per element); keys are matched ignoring case,
spaces, ``_`` and ``-``, and keys the item does not expect are ignored.

Reading the response tolerates what models wrap JSON in: code fences, prose
before and after, single-quoted Python-style dicts and trailing commas. A
response with no readable object scores 0.0 with label ``unparseable``.
"""

from __future__ import annotations

import ast
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from ..core import Item, Response
from ._base import Graded
from ._normalize import normalize
from ._registry import register_scorer

__all__ = ["FieldsScorer", "field_units", "find_json_object"]

_FENCE = re.compile(r"```[ \t]*(?:json5?|javascript|js|python)?[ \t]*\n?(.*?)```", re.S | re.I)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_KEY_NOISE = re.compile(r"[\s_\-]+")
_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d{1,15}\.\d{1,15}")
_ARTICLE = re.compile(r"^the (?=\S)")  # "the Met Office" names the Met Office
_MAX_CANDIDATE = 100_000  # characters: longer "objects" are not parsed (literal_eval cost)

Unit = tuple[str, str]  # (field path, normalised value)


def _balanced(text: str, start: int) -> str | None:
    """The brace-balanced text from ``text[start] == "{"``, skipping quoted strings."""
    depth, quote, escaped = 0, "", False
    for i in range(start, min(len(text), start + _MAX_CANDIDATE)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            # an apostrophe inside an unquoted word ("don't") opens no string
            if ch == "'" and i > 0 and text[i - 1].isalnum():
                continue
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def _without_trailing_commas(text: str) -> Any:
    return json.loads(_TRAILING_COMMA.sub(r"\1", text))


_READERS: tuple[Callable[[str], Any], ...] = (
    json.loads,
    _without_trailing_commas,
    ast.literal_eval,
)


def _parse(candidate: str) -> dict[str, Any] | None:
    """``candidate`` as a dict: JSON, JSON without trailing commas, or a Python literal."""
    for read in _READERS:
        try:
            value = read(candidate)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            continue
        if isinstance(value, dict):
            return value
    return None


def _objects_in(text: str) -> Iterator[dict[str, Any]]:
    start = text.find("{")
    while start != -1:
        candidate = _balanced(text, start)
        if candidate is not None and (obj := _parse(candidate)) is not None:
            yield obj
        start = text.find("{", start + 1)


def find_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text``, or None.

    Code fences are looked in first; then the whole text, as written and then
    NFKC-normalised (full-width ``｛：，｝`` as ASCII). Within a text, the first
    ``{`` that starts a readable object wins; a ``{`` inside prose that does not
    is passed over.
    """
    places = [m.group(1) for m in _FENCE.finditer(text)]
    places += [text, unicodedata.normalize("NFKC", text)]
    for place in places:
        for obj in _objects_in(place):
            return obj
    return None


def _norm_key(key: object) -> str:
    return _KEY_NOISE.sub("", unicodedata.normalize("NFKC", str(key)).casefold())


def _norm_scalar(value: object, lang: str | None) -> str | None:
    """A canonical text for one value; None for nothing (null, empty text)."""
    if value is None or (isinstance(value, dict | list) and not value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict | list):
        return json.dumps(_canonical(value, lang), ensure_ascii=False, sort_keys=True)
    text = _ARTICLE.sub("", normalize(str(value), lang=lang))
    if not text:
        return None
    digits = text.replace(" ", "")
    if _INTEGER.fullmatch(digits):  # "120" and "1,200" (normalised to "1200") as numbers
        return str(int(digits))
    if _DECIMAL.fullmatch(digits):  # "120.0" as 120, "2.50" as 2.5
        return _norm_scalar(float(digits), lang)
    return text


def _canonical(value: object, lang: str | None) -> object:
    if isinstance(value, dict):
        return {_norm_key(k): _canonical(v, lang) for k, v in value.items()}
    if isinstance(value, list):
        return sorted({str(_canonical(v, lang)) for v in value})
    return _norm_scalar(value, lang)


def _flatten(
    obj: dict[str, Any], prefix: str = "", norm_prefix: str = ""
) -> Iterator[tuple[str, str, object]]:
    """(normalised path, path as written, value) of every leaf field; nested objects
    give dotted paths."""
    for key, value in obj.items():
        path, norm = f"{prefix}{key}", f"{norm_prefix}{_norm_key(key)}"
        if isinstance(value, dict) and value:
            yield from _flatten(value, path + ".", norm + ".")
        else:
            yield norm, path, value


def field_units(obj: dict[str, Any], lang: str | None = None) -> dict[str, set[str]]:
    """Normalised field path -> the set of normalised values it holds (a list: each
    element; a scalar: itself; null, empty text or an empty list: none)."""
    out: dict[str, set[str]] = {}
    for key, _, value in _flatten(obj):
        values = value if isinstance(value, list) else [value]
        units = out.setdefault(key, set())
        for v in values:
            if (n := _norm_scalar(v, lang)) is not None:
                units.add(n)
    return out


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@register_scorer
class FieldsScorer:
    """Micro-F1 of the response's JSON fields against the item's expected JSON object.

    Labels: ``exact`` (F1 1.0), ``partial``, ``wrong`` (F1 0), ``unparseable`` (no
    JSON object in the response), ``no_response``, ``refused_by_service``, and
    ``no_reference``/``bad_reference`` when the item's ``answer`` is missing or not a
    JSON object.
    """

    name: ClassVar[str] = "fields"
    version: ClassVar[str] = "1"

    async def score(self, item: Item, response: Response) -> Graded:
        if response.refused_by_service:
            code = f" ({response.vendor_code})" if response.vendor_code else ""
            return Graded(0.0, "refused_by_service", f"the service blocked the answer{code}")
        if response.text is None:
            return Graded(None, "no_response", f"no response text (status {response.status})")
        if item.answer is None:
            return Graded(None, "no_reference", "the item has no expected JSON object (answer)")
        try:
            expected = json.loads(item.answer)
        except ValueError as exc:
            return Graded(None, "bad_reference", f"the item's answer is not JSON: {exc}")
        if not isinstance(expected, dict):
            return Graded(None, "bad_reference", "the item's answer is not a JSON object")
        got = find_json_object(response.text)
        if got is None:
            return Graded(
                0.0,
                "unparseable",
                f"no JSON object found in the response {_short(response.text)}",
            )
        return _compare(expected, got, item.lang)


def _compare(expected: dict[str, Any], got: dict[str, Any], lang: str | None) -> Graded:
    want = field_units(expected, lang)
    found_all = field_units(got, lang)
    names = {key: path for key, path, _ in _flatten(expected)}
    tp = fp = fn = 0
    wrong: list[str] = []
    missing = [names[k] for k in want if k not in found_all]
    for key, units in want.items():
        found = found_all.get(key, set())
        hit = len(units & found)
        tp, fp, fn = tp + hit, fp + len(found - units), fn + len(units - found)
        if key in found_all and found != units:
            wrong.append(names[key])
    # every expected field empty, and nothing found in them either: a match
    f1 = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    label = "exact" if f1 == 1.0 else "wrong" if f1 == 0.0 else "partial"
    parts = [f"F1 {f1:.3f} over {tp + fn} expected value(s): {tp} matched, {fp} extra or wrong"]
    if missing:
        parts.append("missing field(s): " + ", ".join(missing))
    if wrong:
        parts.append("differing field(s): " + ", ".join(wrong))
    ignored = sorted(set(found_all) - set(want))
    if ignored:
        parts.append(f"{len(ignored)} unexpected field(s) ignored")
    return Graded(f1, label, "; ".join(parts))
