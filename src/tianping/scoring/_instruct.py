"""The ``instruct`` scorer: verifiable instructions in the style of IFEval, Chinese and English.

An item lists its instructions in ``meta.instructions``, each an object with a
``type`` and that type's parameters::

    {"type": "chars", "at_most": 120}
    {"type": "include", "words": ["预算", "时间表"]}
    {"type": "json", "keys": ["name", "date"]}

Each type has one deterministic checker (:data:`CHECKERS`). The score is the
share of the item's instructions the response follows (with ``strict=True``: 1.0
only when it follows all of them, else 0.0); the label is ``all_followed``,
``partial`` or ``none_followed``; the explanation lists every instruction with
✓ or ✗ and what was found. An unknown type or bad parameters is a
:class:`ConfigError` naming the item, raised before anything is checked.

Counts (``chars``, ``words``, ``sentences``, ``paragraphs``, ``bullets``,
``numbered``, ``headings``, ``bold``, ``placeholders``, ``frequency``) take bounds:
``at_least``, ``at_most`` (either or both) or ``exactly``. How things are counted:

* ``chars`` (Chinese length): letters and digits of any script, one each; a
  Chinese character, a Latin letter and a digit each count 1. Whitespace,
  punctuation (，。！“”《》…) and symbols (+ | ~ emoji) do not count.
* ``words`` (English length): runs of letters and digits, with inner apostrophes
  and hyphens (``don't``, ``well-known``, ``café`` are one word each) and numbers
  kept whole (``1,450``, ``3.5``, ``10:30``); a run of Chinese characters is one word.
* ``sentences``: text ending at 。！？!? or …, at a "." followed by a space or the
  end, or at a line break; only pieces with a letter or ideograph count (a "1."
  list marker is none). Headings, titles and list lines count as sentences. The
  period of Mr. Mrs. Ms. Dr. Prof. St. vs. e.g. and i.e. ends no sentence; other
  abbreviations do ("9 a.m. sharp" counts as two).
* ``paragraphs``: blocks separated by blank lines.
* ``bullets``: lines starting with ``-``, ``*``, ``+`` or ``•`` and a space;
  ``numbered``: lines starting ``1.``, ``2)``, ``3、``, ``(4)`` or ``（5）``;
  ``headings``: Markdown ``#`` headings; ``bold``: ``**…**`` or ``__…__`` spans;
  ``placeholders``: square-bracketed text such as ``[address]`` (not a Markdown link).
* ``include`` / ``exclude`` / ``frequency``: case-insensitive, full width folded
  (NFKC). A term of Latin letters and digits matches whole words only (``cat``
  does not match ``category``); any other term matches anywhere.

Other types: ``json`` (the whole response is one JSON value, optionally in one
```` ```json ```` fence; with ``keys``, an object holding them), ``table`` (a
Markdown table with a header, a ``---`` separator row and data rows), ``title``
(the first non-empty line is a title in 《》 or <<>>), ``lowercase`` /
``uppercase`` (no upper- / lower-case letter at all), ``starts_with`` /
``ends_with`` (full width folded, surrounding whitespace aside), ``postscript`` (a line starting
with the marker, "P.S." by default, case-insensitive, with text after it),
``quoted`` (the whole response in double quotes), ``language`` (``zh``:
ideographs are at least half of all letters and ideographs; ``en``: at most
5 %), ``no_commas`` (neither "," nor "，"; the enumeration comma "、" is not a
comma). A reasoning model's ``<think>`` part is dropped before checking.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from ..core import ConfigError, Item, Response
from ._base import Graded
from ._match import _ungradable
from ._registry import register_scorer
from ._textnorm import is_cjk

__all__ = ["CHECKERS", "InstructScorer", "check_instruction", "parse_instructions"]


# ---------------------------------------------------------------- parameters


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Count = Annotated[StrictInt, Field(ge=0)]
Text = Annotated[StrictStr, Field(min_length=1)]


class NoParams(_Params):
    """A type without parameters."""


class Bounds(_Params):
    """``exactly`` n, or ``at_least`` and/or ``at_most``."""

    at_least: Count | None = None
    at_most: Count | None = None
    exactly: Count | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Bounds:
        if self.exactly is not None and (self.at_least is not None or self.at_most is not None):
            raise ValueError("give 'exactly' alone, or 'at_least' and/or 'at_most'")
        if self.exactly is None and self.at_least is None and self.at_most is None:
            raise ValueError("needs 'exactly', 'at_least' or 'at_most'")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"at_least {self.at_least} is more than at_most {self.at_most}")
        return self

    def holds(self, n: int) -> bool:
        if self.exactly is not None:
            return n == self.exactly
        return (self.at_least is None or n >= self.at_least) and (
            self.at_most is None or n <= self.at_most
        )

    def __str__(self) -> str:
        if self.exactly is not None:
            return f"exactly {self.exactly}"
        parts = [f"at least {self.at_least}"] if self.at_least is not None else []
        parts += [f"at most {self.at_most}"] if self.at_most is not None else []
        return " and ".join(parts)


class Words(_Params):
    words: tuple[Text, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _not_blank(self) -> Words:
        if any(not w.strip() for w in self.words):
            raise ValueError("a word is empty")
        return self


class Frequency(Bounds):
    word: Text


class JsonParams(_Params):
    keys: tuple[Text, ...] = ()


class TableParams(_Params):
    columns: Annotated[StrictInt, Field(ge=1)] | None = None
    min_rows: Annotated[StrictInt, Field(ge=1)] = 1
    max_rows: Annotated[StrictInt, Field(ge=1)] | None = None


class TitleParams(_Params):
    marks: Literal["《》", "<<>>"] = "《》"


class Phrase(_Params):
    phrase: Text


class Postscript(_Params):
    marker: Text = "P.S."


class Language(_Params):
    lang: Literal["zh", "en"]


# ---------------------------------------------------------------- registry

P = TypeVar("P", bound=_Params)
Outcome = tuple[bool, str]


@dataclass(frozen=True)
class Checker(Generic[P]):
    """One instruction type: its parameter model and its check."""

    params: type[P]
    check: Callable[[str, P], Outcome]

    def parse(self, raw: dict[str, Any]) -> P:
        return self.params.model_validate(raw)


CHECKERS: dict[str, Checker[Any]] = {}


def _checker(name: str, params: type[P]) -> Callable[[Callable[[str, P], Outcome]], Checker[P]]:
    def wrap(fn: Callable[[str, P], Outcome]) -> Checker[P]:
        if name in CHECKERS:
            raise ValueError(f"instruction type {name!r} is already registered")
        CHECKERS[name] = entry = Checker(params, fn)
        return entry

    return wrap


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _counted(what: str, n: int, bounds: Bounds) -> Outcome:
    ok = bounds.holds(n)
    return ok, f"{n} {what} ({'within' if ok else 'wanted'} {bounds})"


def _wordish(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


def _lettered(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "L"


# ---------------------------------------------------------------- lengths and counts

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+|(?<=\d)[.,:]\d+)*")
# Titles and Latin abbreviations whose period does not end a sentence.
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|vs|e\.g|i\.e)\.(?=\s)", re.IGNORECASE)
_CLOSERS = "”’\"'）)\\]」』"
_SENTENCE_END = re.compile(rf"(?:[。！？!?]+|…+|\.+(?=[{_CLOSERS}]*(?:\s|$)))[{_CLOSERS}]*|\n")
_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n")
_BULLET = re.compile(r"^[ \t]*[-*+•][ \t]+\S", re.MULTILINE)
_NUMBERED = re.compile(
    r"^[ \t]*(?:\(\d{1,3}\)|（\d{1,3}）|\d{1,3}(?:[.．](?!\d)|[)）、]))[ \t]*\S", re.MULTILINE
)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+\S", re.MULTILINE)
_BOLD = re.compile(r"\*\*(?=\S)[^*\n]+?\*\*|__(?=\S)[^_\n]+?__")
_PLACEHOLDER = re.compile(r"\[([^\[\]\n]{1,60})\](?!\()")


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` as the ``sentences`` instruction counts them."""
    masked = _ABBREVIATION.sub(lambda m: m.group()[:-1] + "\u2024", text)
    pieces = _SENTENCE_END.split(masked)
    return [s.strip().replace("\u2024", ".") for s in pieces if any(map(_lettered, s))]


@_checker("chars", Bounds)
def _chars(text: str, p: Bounds) -> Outcome:
    return _counted("characters (letters and digits)", sum(map(_wordish, text)), p)


@_checker("words", Bounds)
def _words(text: str, p: Bounds) -> Outcome:
    return _counted("words", len(_WORD.findall(text)), p)


@_checker("sentences", Bounds)
def _sentences(text: str, p: Bounds) -> Outcome:
    return _counted("sentences", len(sentences(text)), p)


@_checker("paragraphs", Bounds)
def _paragraphs(text: str, p: Bounds) -> Outcome:
    blocks = [b for b in _BLANK_LINE.split(text) if any(map(_wordish, b))]
    return _counted("paragraphs", len(blocks), p)


@_checker("bullets", Bounds)
def _bullets(text: str, p: Bounds) -> Outcome:
    return _counted("bullet points", len(_BULLET.findall(text)), p)


@_checker("numbered", Bounds)
def _numbered(text: str, p: Bounds) -> Outcome:
    return _counted("numbered items", len(_NUMBERED.findall(text)), p)


@_checker("headings", Bounds)
def _headings(text: str, p: Bounds) -> Outcome:
    return _counted("Markdown headings", len(_HEADING.findall(text)), p)


@_checker("bold", Bounds)
def _bold(text: str, p: Bounds) -> Outcome:
    return _counted("bold spans", len(_BOLD.findall(text)), p)


@_checker("placeholders", Bounds)
def _placeholders(text: str, p: Bounds) -> Outcome:
    found = [m for m in _PLACEHOLDER.findall(text) if any(map(_wordish, m))]
    return _counted("[placeholders]", len(found), p)


# ---------------------------------------------------------------- words


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _term_pattern(term: str) -> re.Pattern[str]:
    folded = re.escape(_fold(term.strip()))
    if re.fullmatch(r"[a-z0-9][a-z0-9 '’\-]*", _fold(term.strip())):
        return re.compile(rf"(?<![a-z0-9]){folded}(?![a-z0-9])")
    return re.compile(folded)


def _occurrences(text: str, term: str) -> int:
    return len(_term_pattern(term).findall(_fold(text)))


@_checker("include", Words)
def _include(text: str, p: Words) -> Outcome:
    missing = [w for w in p.words if not _occurrences(text, w)]
    if missing:
        return False, f"missing {', '.join(map(repr, missing))}"
    return True, f"contains {', '.join(map(repr, p.words))}"


@_checker("exclude", Words)
def _exclude(text: str, p: Words) -> Outcome:
    found = [w for w in p.words if _occurrences(text, w)]
    if found:
        return False, f"uses forbidden {', '.join(map(repr, found))}"
    return True, f"avoids {', '.join(map(repr, p.words))}"


@_checker("frequency", Frequency)
def _frequency(text: str, p: Frequency) -> Outcome:
    return _counted(f"times {p.word!r}", _occurrences(text, p.word), p)


# ---------------------------------------------------------------- formats

_FENCE = re.compile(r"^```[ \t]*(?:json|JSON)?[ \t]*\n(.*)\n[ \t]*```$", re.DOTALL)
_TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$")


@_checker("json", JsonParams)
def _json(text: str, p: JsonParams) -> Outcome:
    body = text.strip()
    if fenced := _FENCE.match(body):
        body = fenced[1].strip()
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        return False, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if not p.keys:
        return True, f"valid JSON ({type(value).__name__})"
    if not isinstance(value, dict):
        return False, f"valid JSON, but a {type(value).__name__}, not an object"
    missing = [k for k in p.keys if k not in value]
    if missing:
        return False, f"JSON object lacks key(s) {', '.join(map(repr, missing))}"
    return True, f"JSON object with key(s) {', '.join(map(repr, p.keys))}"


def _cells(line: str) -> int:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return inner.count("|") + 1


def _tables(text: str) -> Iterator[tuple[int, int]]:
    """(columns, data rows) of each Markdown table in ``text``."""
    lines = text.splitlines()
    for i in range(1, len(lines)):
        if "|" in lines[i - 1] and _TABLE_SEP.match(lines[i]) and _cells(lines[i - 1]) >= 2:
            rows = 0
            for line in lines[i + 1 :]:
                if "|" not in line or not line.strip():
                    break
                rows += 1
            yield _cells(lines[i - 1]), rows


@_checker("table", TableParams)
def _table(text: str, p: TableParams) -> Outcome:
    found = list(_tables(text))
    if not found:
        return False, "no Markdown table (header row, then a |---| row)"
    for columns, rows in found:
        if (
            (p.columns is None or columns == p.columns)
            and rows >= p.min_rows
            and (p.max_rows is None or rows <= p.max_rows)
        ):
            return True, f"a Markdown table of {columns} columns and {rows} data rows"
    shapes = ", ".join(f"{c} columns × {r} rows" for c, r in found)
    wanted = [f"{p.columns} columns"] if p.columns else []
    wanted.append(f"{p.min_rows}-{p.max_rows or '∞'} data rows")
    return False, f"table(s) of {shapes}; wanted {', '.join(wanted)}"


@_checker("title", TitleParams)
def _title(text: str, p: TitleParams) -> Outcome:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    bare = first.lstrip("#").strip().strip("*").strip()
    open_, close = ("《", "》") if p.marks == "《》" else ("<<", ">>")
    inner = bare[len(open_) : -len(close)] if len(bare) > len(open_) + len(close) else ""
    ok = (
        bare.startswith(open_)
        and bare.endswith(close)
        and any(map(_wordish, inner))
        and open_ not in inner
        and close not in inner
    )
    verb = "is" if ok else "is not"
    return ok, f"the first line {_short(first)} {verb} a title in {p.marks}"


@_checker("lowercase", NoParams)
def _lowercase(text: str, p: NoParams) -> Outcome:
    upper = [ch for ch in text if ch.isupper()]
    if upper:
        return False, f"{len(upper)} upper-case letter(s), first {upper[0]!r}"
    if not any(ch.islower() for ch in text):
        return False, "no letters at all"
    return True, "all letters lower case"


@_checker("uppercase", NoParams)
def _uppercase(text: str, p: NoParams) -> Outcome:
    lower = [ch for ch in text if ch.islower()]
    if lower:
        return False, f"{len(lower)} lower-case letter(s), first {lower[0]!r}"
    if not any(ch.isupper() for ch in text):
        return False, "no letters at all"
    return True, "all letters capitals"


@_checker("starts_with", Phrase)
def _starts_with(text: str, p: Phrase) -> Outcome:
    got = unicodedata.normalize("NFKC", text).strip()
    ok = got.startswith(unicodedata.normalize("NFKC", p.phrase).strip())
    return ok, f"starts with {_short(got[: len(p.phrase) + 8])}"


@_checker("ends_with", Phrase)
def _ends_with(text: str, p: Phrase) -> Outcome:
    got = unicodedata.normalize("NFKC", text).strip()
    ok = got.endswith(unicodedata.normalize("NFKC", p.phrase).strip())
    return ok, f"ends with {_short(got[-len(p.phrase) - 8 :])}"


@_checker("postscript", Postscript)
def _postscript(text: str, p: Postscript) -> Outcome:
    marker = re.escape(_fold(p.marker))
    found = re.search(rf"^[ \t*_>]*{marker}", _fold(text), re.MULTILINE)
    if found is None:
        return False, f"no line starts with {p.marker!r}"
    ok = any(map(_wordish, _fold(text)[found.end() :]))
    return ok, f"a postscript starting {p.marker!r}" + ("" if ok else ", but nothing after it")


@_checker("quoted", NoParams)
def _quoted(text: str, p: NoParams) -> Outcome:
    got = text.strip()
    ok = len(got) >= 2 and got[0] in '"“' and got[-1] in '"”'
    return ok, f"{'wrapped' if ok else 'not wrapped'} in double quotes"


@_checker("language", Language)
def _language(text: str, p: Language) -> Outcome:
    ideographs = sum(map(is_cjk, text))
    letters = ideographs + sum(1 for ch in text if ch.isascii() and ch.isalpha())
    share = ideographs / letters if letters else 0.0
    ok = share >= 0.5 if p.lang == "zh" else (letters > 0 and share <= 0.05)
    return ok, f"{100 * share:.0f} % of letters are Chinese ideographs (wanted {p.lang})"


@_checker("no_commas", NoParams)
def _no_commas(text: str, p: NoParams) -> Outcome:
    n = text.count(",") + text.count("，")
    return n == 0, f"{n} comma(s)" if n else "no commas"


# ---------------------------------------------------------------- the scorer


@dataclass(frozen=True)
class Instruction:
    """One parsed instruction of an item."""

    type: str
    params: _Params

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.model_dump().items() if v not in (None, ())}
        args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"{self.type}({args})"


def parse_instructions(item: Item) -> list[Instruction]:
    """The item's ``meta.instructions``, validated; a ConfigError names the item."""
    raw = item.meta.get("instructions")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"Item {item.id}: meta.instructions must be a non-empty list")
    out: list[Instruction] = []
    for i, entry in enumerate(raw, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise ConfigError(f"Item {item.id}: instruction {i} needs a 'type' (text)")
        kind = entry["type"]
        checker = CHECKERS.get(kind)
        if checker is None:
            known = ", ".join(sorted(CHECKERS))
            raise ConfigError(
                f"Item {item.id}: instruction {i} has unknown type {kind!r} (known: {known})"
            )
        try:
            params = checker.parse({k: v for k, v in entry.items() if k != "type"})
        except ValidationError as exc:
            why = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"Item {item.id}: instruction {i} ({kind}): {why}") from exc
        out.append(Instruction(kind, params))
    return out


def _visible(text: str) -> str:
    if "</think>" in text and text.rsplit("</think>", 1)[1].strip():
        return text.rsplit("</think>", 1)[1]
    return text


def check_instruction(text: str, instruction: Instruction) -> Outcome:
    """Whether ``text`` follows ``instruction``, and what was found."""
    return CHECKERS[instruction.type].check(_visible(text), instruction.params)


def _label(followed: int, total: int) -> str:
    if followed == total:
        return "all_followed"
    return "none_followed" if followed == 0 else "partial"


@register_scorer
class InstructScorer:
    """The share of ``meta.instructions`` the response follows (``strict``: all or nothing)."""

    name: ClassVar[str] = "instruct"
    version: ClassVar[str] = "1"

    def __init__(self, *, strict: bool = False) -> None:
        if not isinstance(strict, bool):
            raise ConfigError(f"instruct scorer: strict must be true or false, not {strict!r}")
        self.strict = strict

    async def score(self, item: Item, response: Response) -> Graded:
        instructions = parse_instructions(item)
        if (early := _ungradable(response)) is not None:
            return early
        assert response.text is not None
        results = [check_instruction(response.text, ins) for ins in instructions]
        followed = sum(ok for ok, _ in results)
        total = len(results)
        value = float(followed == total) if self.strict else followed / total
        lines = _explain(instructions, results)
        head = f"{followed}/{total} instructions followed{' (strict)' if self.strict else ''}"
        return Graded(value, _label(followed, total), f"{head}: {lines}")


def _explain(instructions: Sequence[Instruction], results: Sequence[Outcome]) -> str:
    return "; ".join(
        f"{'✓' if ok else '✗'} {ins}: {why}"
        for ins, (ok, why) in zip(instructions, results, strict=True)
    )
