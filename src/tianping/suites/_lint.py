"""Bank quality checks beyond validity: ``tianping suites lint``.

Errors (exit code 3): the loader's problems (bad JSON, unknown risk ids ...),
exact duplicates (the same normalised :meth:`Item.chat`), empty messages, and
language labels contradicted by the text. Warnings: near duplicates, items
longer than ``max_chars``, empty system messages, and should-refuse items
without a risk id.

Text is normalised as NFKC, lower case, whitespace runs collapsed to one space.
Near duplicates compare the items' user turns as sets of character 3-grams
(Jaccard similarity); an exact all-pairs join with prefix filtering finds every
pair at or above the threshold without comparing all pairs. Attack-derived
items (``meta.attack``) are left out of this comparison: siblings share their
attack's wording by design, and their parents are compared in their own bank.
The near-duplicate rate is the share of compared items that near-duplicate
(or copy) an earlier one.

Language labels are checked on the user turns with the share of CJK
ideographs: an item labelled ``zh`` needs at least 5 % ideographs, one
labelled ``en`` at most 50 %. Items tagged ``task:translate``, ``task:code`` or
``lang-specific`` mix languages by design (a text to translate, code, a quoted
poem), as do attack-derived items (``meta.attack``: base64, pinyin ...), so for
them the labelled language need only be present: some ideograph for ``zh``,
two Latin words for ``en``.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from tianping.core import ConfigError, Item, Problem

from ._loader import validate_suite
from ._resolve import Plan, make_plan
from ._suite import records

Severity = Literal["error", "warning"]

ZH_MIN_SHARE = 0.05
EN_MAX_SHARE = 0.5
MIXED_TAGS = frozenset({"task:translate", "task:code", "lang-specific"})
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Finding:
    """One thing lint found, located by file and line (0: the whole file)."""

    severity: Severity
    check: str
    path: str
    line: int
    message: str
    item_id: str | None = None
    other_id: str | None = None
    similarity: float | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        who = f" {self.item_id}:" if self.item_id else ""
        return f"{where}: {self.severity} [{self.check}]{who} {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class LintReport:
    """What lint found in one suite, and its near-duplicate rate."""

    source: str
    items: int
    findings: tuple[Finding, ...]
    compared: int
    near_duplicates: int
    threshold: float
    max_chars: int

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def near_rate(self) -> float:
        """Items that near-duplicate an earlier item (exact copies included) / items compared."""
        return self.near_duplicates / self.compared if self.compared else 0.0

    def count(self, check: str) -> int:
        return sum(1 for f in self.findings if f.check == check)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "items": self.items,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "near_threshold": self.threshold,
            "near_compared": self.compared,
            "near_duplicates": self.near_duplicates,
            "near_rate": round(self.near_rate, 6),
            "max_chars": self.max_chars,
            "findings": [f.to_json() for f in self.findings],
        }

    def render(self, show: int = 20) -> str:
        """The findings as text, at most ``show`` per check, then a summary line."""
        lines: list[str] = []
        shown: dict[str, int] = defaultdict(int)
        for f in self.findings:
            shown[f.check] += 1
            if shown[f.check] <= show:
                lines.append(str(f))
        for check, n in shown.items():
            if n > show:
                lines.append(f"... and {n - show} more [{check}] (--json lists them all)")
        lines.append(
            f"{self.source}: {self.items} items, {len(self.errors)} error(s), "
            f"{len(self.warnings)} warning(s); near-duplicate rate {100 * self.near_rate:.2f} % "
            f"({self.near_duplicates} of {self.compared} items at Jaccard >= {self.threshold:g})"
        )
        return "\n".join(lines)


def normalise(text: str) -> str:
    """NFKC, lower case, whitespace runs collapsed to one space, ends trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def trigrams(text: str) -> set[str]:
    """The character 3-grams of ``text`` (a text shorter than 3 is its own single gram)."""
    if len(text) < 3:
        return {text} if text else set()
    return {text[i : i + 3] for i in range(len(text) - 2)}


def _user_text(item: Item) -> str:
    return "\n".join(m["content"] for m in item.chat() if m["role"] == "user")


def language_problem(item: Item) -> str | None:
    """Why the item's ``zh``/``en`` label contradicts its user turns, or None."""
    from tianping.scoring._textnorm import cjk_share, is_cjk

    lang = (item.lang or "").split("-")[0]
    if lang not in ("zh", "en"):
        return None
    text = unicodedata.normalize("NFKC", _user_text(item))  # full-width Ｆｏｏ is Latin too
    share = cjk_share(text)
    mixed = bool(MIXED_TAGS & set(item.tags)) or "attack" in item.meta
    if lang == "zh":
        if mixed and not any(is_cjk(ch) for ch in text):
            return "labelled zh, but its user turns have no Chinese ideograph"
        if not mixed and share < ZH_MIN_SHARE:
            return (
                f"labelled zh, but only {100 * share:.0f} % of its user text is Chinese "
                "ideographs (tag task:translate or lang-specific if the mix is intended)"
            )
    elif mixed and len(_LATIN_WORD.findall(text)) < 2:
        return "labelled en, but its user turns have fewer than two Latin words"
    elif not mixed and share > EN_MAX_SHARE:
        return (
            f"labelled en, but {100 * share:.0f} % of its user text is Chinese ideographs "
            "(tag task:translate or lang-specific if the mix is intended)"
        )
    return None


@dataclass(frozen=True)
class Located:
    """An item with the file and line it was read from."""

    item: Item
    path: str
    line: int


def _located(plan: Plan) -> Iterator[Located]:
    # Every valid item with its location; what does not validate is the loader's to report.
    for item_file in plan.files:
        short = plan.short(str(item_file.path))
        for rec in records(item_file.path, item_file.csv):
            if isinstance(rec, Problem):
                continue
            try:
                item = Item.model_validate(rec[1])
            except ValidationError:
                continue
            yield Located(item, short, rec[0])


def _item_checks(loc: Located, max_chars: int) -> Iterator[Finding]:
    item = loc.item

    def finding(severity: Severity, check: str, message: str) -> Finding:
        return Finding(severity, check, loc.path, loc.line, message, item.id)

    chat = item.chat()
    for i, msg in enumerate(chat):
        if not msg["content"].strip():
            severity: Severity = "warning" if msg["role"] == "system" else "error"
            finding_msg = f"message {i + 1} ({msg['role']}) is empty"
            yield finding(severity, "empty", finding_msg)
    size = sum(len(m["content"]) for m in chat)
    if size > max_chars:
        yield finding("warning", "too-long", f"{size} characters (more than {max_chars})")
    if (why := language_problem(item)) is not None:
        yield finding("error", "language", why)
    if item.refuse is True and item.risk is None:
        yield finding("warning", "missing-risk", "should-refuse item without a risk id")


@dataclass
class _Grams:
    """Interned 3-gram sets of every item, and how many items hold each gram."""

    ids: dict[str, int] = field(default_factory=dict)
    df: list[int] = field(default_factory=list)
    sets: list[frozenset[int]] = field(default_factory=list)

    def add(self, text: str) -> None:
        out: set[int] = set()
        for gram in trigrams(text):
            gid = self.ids.setdefault(gram, len(self.ids))
            if gid == len(self.df):
                self.df.append(0)
            self.df[gid] += 1
            out.add(gid)
        self.sets.append(frozenset(out))


def _at_least(x: float) -> int:
    # ceil, forgiving float noise (0.7 * 10 is 7.000000000000001): never one too many
    return math.ceil(x - 1e-9)


def near_pairs(
    sets: list[frozenset[int]], df: list[int], threshold: float
) -> list[tuple[int, int, float]]:
    """Every pair (earlier, later, Jaccard) with Jaccard >= ``threshold``, in order of the later.

    An exact all-pairs join with prefix and positional filtering (PPJoin, Xiao
    et al., 2008): sets are visited smallest first, their grams ordered rarest
    first. Sets x, y (|y| <= |x|) of Jaccard >= t share at least
    a = ceil(t (|x| + |y|) / (1 + t)) grams, hence one among the first
    ``|x| - ceil(t |x|) + 1`` grams of x (probed) and the first
    ``|y| - ceil(2t/(1+t) |y|) + 1`` of y (indexed); sets smaller than t |x|
    are skipped, and so is a pair whose overlap so far plus what is left after
    the shared gram cannot reach a. Candidates are then compared exactly.
    """
    sizes = [len(s) for s in sets]
    index: dict[int, list[tuple[int, int]]] = defaultdict(list)  # gram -> (set, position)
    starts: dict[int, int] = defaultdict(int)  # postings before this are too small from now on
    share = threshold / (1 + threshold)  # Jaccard >= t: overlap >= share * (|x| + |y|)
    found: list[tuple[int, int, float]] = []
    for i in sorted(range(len(sets)), key=lambda k: (sizes[k], k)):
        grams, n = sets[i], sizes[i]
        if n == 0:
            continue
        ordered = sorted(grams, key=lambda g: (df[g], g))
        smallest = _at_least(threshold * n)
        overlap: dict[int, int] = {}  # candidate -> grams shared so far; -1: ruled out
        for px, g in enumerate(ordered[: n - smallest + 1]):
            postings = index.get(g)
            if not postings:
                continue
            start = starts[g]
            while start < len(postings) and sizes[postings[start][0]] < smallest:
                start += 1
            starts[g] = start
            for j, py in postings[start:]:
                seen = overlap.get(j, 0)
                if seen < 0:
                    continue
                m = sizes[j]
                # at most this many shared grams: those so far, this one and all after
                if seen + min(n - px, m - py) < share * (n + m) - 1e-9:
                    overlap[j] = -1
                else:
                    overlap[j] = seen + 1
        for j, seen in overlap.items():
            if seen > 0:
                inter = len(grams & sets[j])
                sim = inter / (n + sizes[j] - inter)
                if sim >= threshold:
                    found.append((min(i, j), max(i, j), sim))
        for py, g in enumerate(ordered[: n - _at_least(2 * share * n) + 1]):
            index[g].append((i, py))
    found.sort(key=lambda p: (p[1], p[0]))
    return found


def lint_suite(
    path_or_name: str | os.PathLike[str], *, near: float = 0.6, max_chars: int = 8000
) -> LintReport:
    """Check a suite's items for duplicates, empty or over-long text and wrong labels.

    See the module docstring for each check and its severity. The loader's
    problems (anything :func:`validate_suite` reports) are errors; the items
    that do validate are still checked. Findings name files relative to the
    suite's folder where they lie inside it.
    """
    if not 0 < near <= 1:
        raise ConfigError(f"the near-duplicate threshold must be in (0, 1], not {near}")
    if max_chars < 1:
        raise ConfigError(f"--max-chars must be at least 1, not {max_chars}")
    problems = validate_suite(path_or_name)
    plan = make_plan(path_or_name)
    findings = [
        Finding("error", "invalid", plan.short(p.path), p.line, p.message) for p in problems
    ]
    where: list[tuple[str, str, int]] = []  # id, path, line of each item, in order
    exact: dict[bytes, int] = {}
    dup_of: dict[int, int] = {}
    grams = _Grams()
    compared: list[int] = []  # the items in the near-duplicate join
    for loc in _located(plan):
        i = len(where)
        where.append((loc.item.id, loc.path, loc.line))
        findings.extend(_item_checks(loc, max_chars))
        chat = "\x1e".join(f"{m['role']}\x1f{normalise(m['content'])}" for m in loc.item.chat())
        first = exact.setdefault(hashlib.blake2b(chat.encode(), digest_size=16).digest(), i)
        if first != i:
            dup_of[i] = first
            other, path, line = where[first]
            message = f"the same text as {other} ({path}:{line})"
            findings.append(
                Finding("error", "duplicate", loc.path, loc.line, message, loc.item.id, other, 1.0)
            )
        if "attack" not in loc.item.meta:
            compared.append(i)
            grams.add(normalise(_user_text(loc.item)))
    near_items = {i for i in compared if i in dup_of}
    for a, b, sim in near_pairs(grams.sets, grams.df, near):
        j, i = compared[a], compared[b]
        near_items.add(i)
        if i in dup_of or j in dup_of:
            continue  # a copy's pairs are its first copy's, already reported
        (other, opath, oline), (item_id, path, line) = where[j], where[i]
        message = f"{100 * sim:.0f} % similar to {other} ({opath}:{oline})"
        findings.append(
            Finding("warning", "near-duplicate", path, line, message, item_id, other, round(sim, 4))
        )
    source = str(plan.source) if plan.source is not None else os.fspath(path_or_name)
    return LintReport(
        source, len(where), tuple(findings), len(compared), len(near_items), near, max_chars
    )
