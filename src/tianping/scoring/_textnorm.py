"""Text folding for keyword matching, with a map back to the original text.

``fold(text)`` undoes the usual tricks used to slip a keyword past a filter. Per
character, in this order:

* compatibility forms (NFKC: full-width ``ＡＢＣ`` → ``abc``, ``①`` → ``1``, Kangxi
  radicals → ideographs) and combining marks removed (``fück`` → ``fuck``);
* case folded;
* a small table of homoglyphs: Cyrillic and Greek look-alikes → Latin letters;
* traditional → simplified Chinese, character by character (opencc's t2s
  character table; its phrase table is not used, so that every character keeps
  its own position);
* separators removed: whitespace, punctuation, symbols (emoji included) and
  zero-width or other format characters, so ``法 轮``, ``法.轮`` and
  ``法\\u200b轮`` all fold to ``法轮``.

Pinyin initials (``flg`` for a three-character term) are not folded: that needs
a pinyin dictionary Tianping does not ship. A library can list such
abbreviations as terms of their own.

``fold`` is a per-character map (``fold(a + b) == fold(a) + fold(b)``): that is
what lets :class:`FoldedText` map a match in the folded text back to the
characters of the original. The work is done by C-level string methods and two
regular expressions over large character classes, built once, on first use
(0.2-0.4 s).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

# Look-alikes of Latin letters, as they are after case folding (so the lower-case
# forms). Greek capitals that look Latin but whose lower case does not (Η, Ν, Μ,
# Υ) fold through their lower case; that is a known gap.
HOMOGLYPHS: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    # Latin variants that NFKC keeps
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ʏ": "y",
}  # fmt: skip

# Removed wherever they occur: separators, punctuation, symbols, controls and
# format characters (zero-width space and joiners, soft hyphen, BOM, tags).
_DROPPED_CATEGORIES = frozenset(
    {"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"}
    | {"Sm", "Sc", "Sk", "So"}
)
_MARKS = frozenset(("Mn", "Me"))

# Astral blocks whose characters fold to something else: mathematical
# alphanumerics, enclosed alphanumerics and emoji, CJK compatibility
# ideographs, tags and variation selectors. Other astral characters only case fold.
_ASTRAL_BLOCKS = (
    (0x1D400, 0x1D800),
    (0x1F000, 0x1FB00),
    (0x2F800, 0x2FA20),
    (0xE0000, 0xE0080),
    (0xE0100, 0xE01F0),
)
# BMP ranges where the per-character fold is known without computing it:
# unified ideographs (only t2s applies), Hangul syllables, surrogates, private use.
_IDEOGRAPHS = ((0x3400, 0x4DC0), (0x4E00, 0xA000))
_SKIP = ((0xAC00, 0xD7A4), (0xD800, 0xF900))


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (unified, extensions, compatibility)."""
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x323AF
    )


def cjk_share(text: str) -> float:
    """The share of CJK ideographs among the non-whitespace characters of ``text``."""
    chars = "".join(text.split())
    if not chars:
        return 0.0
    return sum(1 for ch in chars if is_cjk(ch)) / len(chars)


def looks_chinese(text: str, threshold: float = 0.1) -> bool:
    """True when at least ``threshold`` of the non-space characters are CJK ideographs.

    A Chinese character is about a word and an English word about five letters,
    so 0.1 already means a sizeable share of Chinese words.
    """
    return cjk_share(text) >= threshold


def is_wordish(ch: str) -> bool:
    """A letter or digit of a space-delimited script (Latin, Cyrillic, ...), not CJK."""
    return ch.isalnum() and not is_cjk(ch)


def _t2s_table() -> dict[str, str]:
    import opencc  # the package's own character table: first candidate of each entry

    path = Path(opencc.__file__).resolve().parent / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            trad, _, simps = line.rstrip("\n").partition("\t")
            simp = simps.split(" ")[0] if simps else ""
            if len(trad) == 1 and len(simp) == 1 and simp != trad:
                table[trad] = simp
    return table


def _char_class(codepoints: Iterable[int]) -> str:
    cps = sorted(codepoints)
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "[" + "".join(parts) + "]" if parts else "(?!)"


@dataclass(frozen=True)
class _Tables:
    drop: re.Pattern[str]  # BMP characters that fold to nothing
    map: re.Pattern[str]  # BMP characters that fold to something else
    mapping: dict[str, str]  # what those fold to
    astral: dict[str, str]  # astral characters that fold to something else, or nothing


def _build() -> _Tables:
    t2s = _t2s_table()
    norm = unicodedata.normalize
    cat = unicodedata.category

    def canon(ch: str) -> str:
        s = "".join(c for c in norm("NFKD", ch) if cat(c) not in _MARKS)
        s = norm("NFKC", s)
        s = "".join(HOMOGLYPHS.get(c, c) for c in s)
        s = norm("NFKC", s.casefold())
        s = "".join(t2s.get(c, HOMOGLYPHS.get(c, c)) for c in s)
        return "".join(c for c in s if cat(c) not in _DROPPED_CATEGORIES)

    drop: list[int] = []
    mapping: dict[str, str] = {}
    for lo, hi in _IDEOGRAPHS:
        for cp in range(lo, hi):
            if (ch := chr(cp)) in t2s:
                mapping[ch] = t2s[ch]
    skip = _IDEOGRAPHS + _SKIP
    ranges = [(0, 0x10000), *_ASTRAL_BLOCKS]
    for lo, hi in ranges:
        for cp in range(lo, hi):
            if any(a <= cp < b for a, b in skip):
                continue
            ch = chr(cp)
            folded = canon(ch)
            if not folded:
                drop.append(cp)
            elif folded != ch:
                mapping[ch] = folded
    # Only BMP characters go into the classes: a class with astral members cannot
    # use the regex engine's BMP bitmap and scans twenty times slower. Astral
    # characters are rare and are looked up one by one.
    astral = {ch: out for ch, out in mapping.items() if ord(ch) > 0xFFFF}
    astral.update((chr(cp), "") for cp in drop if cp > 0xFFFF)
    return _Tables(
        drop=re.compile(_char_class(cp for cp in drop if cp <= 0xFFFF) + "+"),
        map=re.compile(_char_class(ord(ch) for ch in mapping if ord(ch) <= 0xFFFF)),
        mapping={ch: out for ch, out in mapping.items() if ord(ch) <= 0xFFFF},
        astral=astral,
    )


_lock = threading.Lock()
_tables: _Tables | None = None
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _build()
    return _tables


def fold(text: str) -> str:
    """``text`` folded for matching (see the module docstring)."""
    t = _get_tables()
    mapping, astral = t.mapping, t.astral

    def bmp(m: re.Match[str]) -> str:
        return mapping[m.group()]

    def other(m: re.Match[str]) -> str:
        ch = m.group()
        return astral.get(ch, ch)

    # casefold first: the tables hold folded characters. Each step maps
    # characters one by one, so the whole is a per-character map.
    s = "".join(text.casefold().split())
    s = t.map.sub(bmp, t.drop.sub("", s))
    return _ASTRAL.sub(other, s) if _ASTRAL.search(s) else s


class _FoldLengths(dict[str, int]):
    """``len(fold(ch))`` by character, filled on first sight; a plain dict look-up
    (C speed, through ``map``) for characters seen before."""

    def __missing__(self, ch: str) -> int:
        n = self[ch] = len(fold(ch))
        return n


_FOLD_LENGTHS = _FoldLengths()


def fold_len(ch: str) -> int:
    """``len(fold(ch))``: 0 for a removed character, 2 for ``ß`` or ``ﬁ``, usually 1."""
    return _FOLD_LENGTHS[ch]


def _identity(text: str) -> str:
    return text


class FoldedText:
    """A text prepared for an automaton, with a map from matches back to the original.

    ``key`` is the folded text as UTF-8 bytes spelled as Latin-1 characters: an
    automaton over bytes has at most a few dozen branches per node, where one
    over ideographs has thousands (pyahocorasick scans branches linearly). Match
    positions in ``key`` are byte positions; :meth:`origins` maps them back.
    The text is folded in blocks so that mapping a match back costs a block,
    not the whole text. ``folding=False`` matches the text as it is.
    """

    BLOCK = 512

    def __init__(self, text: str, *, folding: bool = True) -> None:
        self.text = text
        self._folding = folding
        fold_block = fold if folding else _identity
        parts: list[bytes] = []
        self._starts: list[int] = []  # key offset of each block
        size = 0
        for lo in range(0, max(len(text), 1), self.BLOCK):
            data = fold_block(text[lo : lo + self.BLOCK]).encode("utf-8")
            self._starts.append(size)
            parts.append(data)
            size += len(data)
        self.key = b"".join(parts).decode("latin-1")
        self._ends: dict[int, list[int]] = {}

    def _block_ends(self, b: int) -> list[int]:
        """For block ``b``: the folded length up to and including each original character."""
        ends = self._ends.get(b)
        if ends is None:
            lo = b * self.BLOCK
            hi = min(lo + self.BLOCK, len(self.text))
            if self._folding:
                block = self.text[lo:hi]
                ends = list(accumulate(map(_FOLD_LENGTHS.__getitem__, block)))
            else:
                ends = list(range(1, hi - lo + 1))
            self._ends[b] = ends
        return ends

    def origins(self, kstart: int, kend: int) -> list[int]:
        """Original indices of each folded character in ``key[kstart:kend]``
        (both at character boundaries)."""
        b = bisect_right(self._starts, kstart) - 1
        # the folded characters of block b before kstart
        j = len(self.key[self._starts[b] : kstart].encode("latin-1").decode("utf-8"))
        n = len(self.key[kstart:kend].encode("latin-1").decode("utf-8"))
        out: list[int] = []
        ends = self._block_ends(b)
        for _ in range(n):
            while not ends or j >= ends[-1]:  # past this block's folded characters
                b, j = b + 1, 0
                ends = self._block_ends(b)
            out.append(b * self.BLOCK + bisect_right(ends, j))
            j += 1
        return out


def term_key(term: str, *, folding: bool = True) -> str:
    """A term as :attr:`FoldedText.key` spells it."""
    return (fold(term) if folding else term).encode("utf-8").decode("latin-1")


def term_spaces(term: str, *, folding: bool = True) -> frozenset[int] | None:
    """For a term without ideographs, the positions (in folded characters) where
    the term itself has whitespace; None for a term with ideographs."""
    f = fold if folding else _identity
    key = f(term)
    if any(is_cjk(ch) for ch in key):
        return None
    cuts, pos = set(), 0
    for chunk in term.split():
        pos += len(f(chunk))
        cuts.add(pos)
    return frozenset(cuts - {0, len(key)})


_INVISIBLE = frozenset(("Mn", "Me", "Cf"))


def mark_end(text: str, end: int) -> int:
    """``end`` moved past combining marks that belong to the character before it."""
    while end < len(text) and unicodedata.category(text[end]) in _MARKS:
        end += 1
    return end


def _word_at(text: str, i: int, step: int) -> bool:
    """Is there a letter or digit at ``i`` (looking past marks and zero-width characters)?"""
    while 0 <= i < len(text) and unicodedata.category(text[i]) in _INVISIBLE:
        i += step
    return 0 <= i < len(text) and is_wordish(text[i])


def fits_words(
    text: str, pos: list[int], *, left: bool, right: bool, spaces: frozenset[int] | None
) -> bool:
    """Does a match at original positions ``pos`` (one per folded character) respect
    word boundaries? ``left``/``right``: the term starts/ends with a letter or digit
    and must not run on into one. ``spaces`` (from :func:`term_spaces`): whitespace
    inside the match must fall where the term has it, or between every character."""
    if left and _word_at(text, pos[0] - 1, -1):
        return False
    if right and _word_at(text, pos[-1] + 1, 1):
        return False
    if spaces is not None and len(pos) > 1:
        gaps = {
            k
            for k in range(1, len(pos))
            if any(ch.isspace() for ch in text[pos[k - 1] + 1 : pos[k]])
        }
        if not gaps <= spaces and len(gaps) < len(pos) - 1:
            return False
    return True
