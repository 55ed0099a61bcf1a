"""Text normalisation and answer extraction for the matching scorers, Chinese and English.

* :func:`normalize`: a canonical form for comparing short answers.
* :func:`extract_number`: the number a free-text answer gives.
* :func:`extract_choice`: the option letter a free-text answer picks, and how it was found.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = ["extract_choice", "extract_number", "normalize"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff]) (?=[\u3400-\u9fff\uf900-\ufaff])")
_MARKUP = re.compile(r"\*\*|__|`+")
_QUOTES = "\"'“”‘’「」『』*_"


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # building the converter reads its dictionaries: once, and only if needed

    return opencc.OpenCC("t2s")


def _drop_punct(text: str) -> str:
    out: list[str] = []
    for i, ch in enumerate(text):
        before, after = text[i - 1 : i], text[i + 1 : i + 2]
        if not unicodedata.category(ch).startswith("P") or ch == "%":
            out.append(ch)
        elif before.isdigit() and after.isdigit():  # 3.5, 1/2 kept; 1,234 -> 1234
            out.append(ch if ch in "./" else "" if ch == "," else " ")
        elif ch == "-" and after.isdigit() and not before.isalnum():  # -7
            out.append(ch)
        elif ch not in "'’":  # apostrophes join: don't -> dont
            out.append(" ")
    return "".join(out)


def normalize(
    text: str,
    *,
    lang: str | None = None,
    fold_case: bool = True,
    strip_punct: bool = True,
    to_simplified: bool = True,
) -> str:
    """A canonical form of ``text`` for comparing answers.

    Unicode NFKC ("ＡＢＣ１２３，" -> "ABC123,"); markdown emphasis (``**``, ``__``,
    backticks) removed and surrounding quotes stripped; traditional Chinese converted to
    simplified when the text holds CJK characters ("臺灣" -> "台湾"; not when ``lang`` is
    Japanese or Korean); case folded; punctuation, ASCII and CJK, replaced by spaces
    except inside numbers (3.5, 1/2, -7 and 42% stay; 1,234 -> 1234); whitespace
    collapsed, and removed between two CJK characters.
    """
    s = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    s = _MARKUP.sub("", s).strip()
    while len(s) >= 2 and s[0] in _QUOTES and s[-1] in _QUOTES:
        s = s[1:-1].strip()
    if to_simplified and not (lang or "").lower().startswith(("ja", "ko")) and _CJK.search(s):
        s = str(_t2s().convert(s))
    if fold_case:
        s = s.casefold()
    if strip_punct:
        s = _drop_punct(s)
    return _CJK_GAP.sub("", " ".join(s.split()))


# ---------------------------------------------------------------- numbers

_ARABIC = re.compile(
    r"\\[dt]?frac\{(?P<fn>-?\d+(?:\.\d+)?)\}\{(?P<fd>\d+(?:\.\d+)?)\}"
    r"|(?<![A-Za-z0-9_.])(?P<sign>-)?(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<dec>\.\d+)?"
    r"(?:[eE](?P<exp>[-+]?\d+))?(?:\s*/\s*(?P<den>\d+(?:\.\d+)?)(?![\d/]))?(?P<big>[万亿])?"
)
_CN_DIGIT = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_RUN = "[零〇一二两三四五六七八九十百千万亿]+"
_CHINESE = re.compile(
    rf"(?P<neg>负)?(?:(?P<den>{_CN_RUN})分之)?(?P<num>{_CN_RUN})(?:点(?P<dec>[零〇一二三四五六七八九]+))?"
)
# Words in which numeral characters are not numbers ("一些" = some, "十分" = very).
_CN_IDIOMS = re.compile(
    "一些|一样|一起|一般|一直|一定|一致|一切|一下|一旦|一边|一面|一向|一再|一同|一律|一会|"
    "统一|唯一|万一|之一|十分|一点儿|一方面|一心|一味|不一"
)
_STRONG = re.compile(r"answer|result|答案|结果|得数|答\s*:|\\boxed\{|####", re.IGNORECASE)
_EQUALS = re.compile(r"=|≈|等于|约为")
_SENTENCE_END = re.compile(r"[。\n;；]|\.(?:\s|$)")


def _parse_chinese(run: str) -> int | None:
    """The value of a run of Chinese numerals, or None when it is not well formed."""
    if all(ch in _CN_DIGIT for ch in run):  # digit by digit: 二〇二四
        ok = len(run) == 1 or "两" not in run
        return int("".join(str(_CN_DIGIT[ch]) for ch in run)) if ok else None
    total, section, num, last_unit, last_big = 0, 0, None, 10_000, 10**9
    for ch in run:
        if ch in _CN_DIGIT:
            if num:  # two digits in a row beside units: malformed
                return None
            num = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            unit = _CN_UNIT[ch]
            if unit >= last_unit or (num is None and (unit != 10 or section)):
                return None
            section += (1 if num is None else num) * unit
            num, last_unit = None, unit
        else:
            big = _CN_BIG[ch]
            if big >= last_big or (section == 0 and not num):
                return None
            total += (section + (num or 0)) * big
            section, num, last_unit, last_big = 0, None, 10_000, big
    return total + section + (num or 0)


def _value(m: re.Match[str], arabic: bool) -> float | None:
    if not arabic:
        num, den = _parse_chinese(m["num"]), _parse_chinese(m["den"]) if m["den"] else 1
        if num is None or not den:
            return None
        dec = "".join(str(_CN_DIGIT[ch]) for ch in m["dec"] or "")
        value = (num + float("0." + dec if dec else 0)) / den
        return -value if m["neg"] else value
    if m["fn"] is not None:
        return float(m["fn"]) / float(m["fd"]) if float(m["fd"]) else None
    value = float(m["int"].replace(",", "") + (m["dec"] or "")) * 10.0 ** int(m["exp"] or 0)
    if m["den"]:
        if not float(m["den"]):
            return None
        value /= float(m["den"])
    value *= _CN_BIG.get(m["big"] or "", 1)
    return -value if m["sign"] else value


def extract_number(text: str) -> float | None:
    """The number a free-text answer gives, or None when it gives none.

    Reads Arabic numbers ("-7", "3.5", "1,234.5", "1e-3", "3/4" and "\\frac{3}{4}" ->
    0.75, "3万" -> 30000; "42%" -> 42.0, the percent sign is ignored) and Chinese
    numerals ("十二" -> 12, "三百零五" -> 305, "两千" -> 2000, "一万二千" -> 12000,
    "三点五" -> 3.5, "四分之三" -> 0.75, "负三" -> -3, "二〇二四" -> 2024; words such as
    "一些" and "十分" are not numbers). Which number: the first after the last
    "answer", "答案", "结果" or "\\boxed{" (the first after an "=" in that sentence if
    it has one; an Arabic number in that sentence wins over a Chinese numeral, so
    "结果保留两位小数：3.49" reads 3.49); else the first after the last "=" or
    "等于"; else the last Arabic number, or the last Chinese numeral when there is
    no Arabic one.
    """
    s = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    masked = _CN_IDIOMS.sub(lambda m: "\0" * len(m.group()), s)
    found = sorted(
        (m.start(), value, arabic)
        for pattern, arabic, where in ((_ARABIC, True, s), (_CHINESE, False, masked))
        for m in pattern.finditer(where)
        if (value := _value(m, arabic)) is not None and math.isfinite(value)
    )
    if not found:
        return None

    def first_from(pos: int) -> float | None:
        return next((value for start, value, _ in found if start >= pos), None)

    def first_arabic(pos: int, stop: int) -> float | None:
        return next((v for start, v, arabic in found if pos <= start < stop and arabic), None)

    if strong := list(_STRONG.finditer(s)):
        start = strong[-1].end()
        end = _SENTENCE_END.search(s, start)
        stop = end.start() if end else len(s)
        equals = list(_EQUALS.finditer(s, start, stop))
        value = first_from(equals[-1].end()) if equals else None
        if value is None:
            value = first_arabic(start, stop)
        if (value := value if value is not None else first_from(start)) is not None:
            return value
    if (equals := list(_EQUALS.finditer(s))) and (
        value := first_from(equals[-1].end())
    ) is not None:
        return value
    arabic = [value for _, value, is_arabic in found if is_arabic]
    return arabic[-1] if arabic else found[-1][1]


# ---------------------------------------------------------------- choices

_Found = tuple[str | None, str]
_OPEN, _CLOSE = r"[(\[{（【「]", r"[)\]}）】」]"
_LETTER = rf"(?P<open>{_OPEN}\s*)?(?P<L>[A-Za-z])(?![A-Za-z0-9'’])(?P<close>\s*{_CLOSE})?"
_LETTER_AT = re.compile(rf"\s*{_LETTER}")
_MENTION = re.compile(rf"(?<![A-Za-z0-9]){_LETTER}")
_CONNECTOR = re.compile(r"\s*(?:or|and|/|,|、|&|和|或者|或|与|及|以及)\s*", re.IGNORECASE)
_EN_FILL = (
    r"(?:\s*(?:(?:is|are|was|would|will|should|must|might|could|may|has|have|to|be|likely|"
    r"probably|most|definitely|clearly|certainly|surely|therefore|thus|hence|then|so|indeed|"
    r"actually|obviously|the|option|choice|letter|answer|here)\b|[:=\-–—→>]))"
)
_ZH_FILL = (
    r"(?:\s*(?:是|为|选择|选项|选|项|就是|应该|应当|应|当然|显然|很可能|可能|也就是|即|就|"
    r"[:=\-–—→>]))"
)
# Explicit statements of the answer, up to where the letter goes. Weak ones ("it's",
# "only", "so") count only when no strong one is present, and only naming one letter.
_FORWARD = [
    (re.compile(p, re.IGNORECASE), 1 if p.startswith("(?#weak)") else 2)
    for p in (
        rf"\b(?:answers?|ans)\b{_EN_FILL}{{0,6}}",
        r"\b(?:correct|right|best|true|final|my)\s+(?:option|choice|one|pick|response)\b"
        rf"{_EN_FILL}{{0,6}}",
        r"\b(?:go(?:ing)?\s+with|choose|choosing|chose|pick|picking|select|selecting|opt\s+for|"
        rf"vote\s+for|I(?:'d|’d|\s+would)\s+say){_EN_FILL}{{0,4}}",
        r"\\boxed\{\s*",
        rf"答案{_ZH_FILL}{{0,5}}",
        rf"答\s*:{_ZH_FILL}{{0,4}}",
        rf"(?:正确|最佳|最合适|符合题意|符合要求|最符合)的?(?:选项|答案|一项|是|为){_ZH_FILL}{{0,4}}",
        rf"(?:选择|选)(?!项){_ZH_FILL}{{0,3}}",
        rf"而是{_ZH_FILL}{{0,3}}",
        r"(?:认为|觉得|猜|可见|综上所述|综上|所以|因此|因而|故)[,\s]*(?:是|为|选择|选)(?!项)"
        rf"{_ZH_FILL}{{0,3}}",
        rf"(?#weak)\bit(?:'s|’s|\s+is|\s+must\s+be|\s+should\s+be|\s+would\s+be)\b{_EN_FILL}{{0,3}}",
        rf"(?#weak)(?:\bonly\b|只有|唯有|仅有){_EN_FILL}{{0,2}}{_ZH_FILL}{{0,2}}",
        rf"(?#weak)(?:\b(?:so|therefore|thus|hence)\b|所以|因此|因而|故)[,\s]*{_EN_FILL}{{0,2}}",
        rf"(?#weak)\b(?:is|was)\s+(?=(?:{_OPEN}\s*)?(?-i:[A-Z])(?:\s*{_CLOSE})?\s*(?:[.!。]|$))",
    )
]
_NEGATED_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|\bexcept|\brather than|\binstead of|\brul(?:e|ed|ing) out|"
    r"\beliminat(?:e|ing)|\bexclud(?:e|ing)|不是|不选|不能选|排除|而非|并非|除了|除|而不是|不)"
    rf"\s*(?:option|choice|选项)?\s*(?:{_OPEN}\s*)?$",
    re.IGNORECASE,
)
_NEGATED_AFTER = re.compile(
    rf"\s*(?:{_CLOSE})?\s*[.:、．]?\s*(?:项|选项)?\s*(?:的?说法)?\s*(?:(?:is|are|seems)\s+)?"
    r"(?:also\s+)?(?:wrong|incorrect|false|invalid|untrue|(?<=is )not\b|(?<=are )not\b|"
    r"错误|错|不对|不正确|不符|有误|排除|不选|不是)",
    re.IGNORECASE,
)
_NOT_OPTION = re.compile(
    r"°$|\b(?:plan|vitamin|type|grade|group|class|hepatitis|team|part|section|step|question|"
    r"problem|exhibit|appendix|figure|table)\s*$",
    re.IGNORECASE,
)
_REVERSE = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_OPEN}\s*)?(?P<L>[A-Z])(?:\s*{_CLOSE})?\s*[.:,]?\s*"
    r"(?:[“\"「『][^”\"」』]{1,60}[”\"」』]\s*)?(?:"
    r"(?i:(?:is|seems|looks|appears|would\s+be|must\s+be)\s+(?:to\s+be\s+)?(?:the\s+)?"
    r"(?:most\s+|only\s+)?(?:correct|right|true|best|accurate|valid|appropriate|answer)\b)"
    r"|(?:项|选项)?\s*(?:的?(?:说法|表述|描述|观点))?\s*(?:是|为|最|才是)?\s*"
    r"(?:正确|对的|对(?![应于比待照])|最佳|最合适|符合题意|符合要求|最符合|正解|当选))"
)
_PRECEDING_LETTERS = re.compile(
    r"((?:(?<![A-Za-z0-9])[A-Z]\s*(?:项|选项)?\s*(?:和|或|与|及|以及|、|,|/|&|(?i:and|or))\s*)+)"
    rf"(?:{_OPEN}\s*)?$"
)
# "B." "C)" "D:" at the start of a line or after a space or comma: an option label.
_FORMAT_LETTER = re.compile(r"(?:^|(?<=[\s,，。;；:>*-]))([A-Z])\s*[.):、．](?!\d)", re.MULTILINE)
_ALONE = re.compile(r"^[\s\W_]*([A-Za-z])[\s\W_]*$")
_WORD_AFTER = re.compile(r"[ \t]+([A-Za-z]+)")
_NOT_ARTICLE = (  # words after which "A" is a letter, not an article: "A or B", "A is"
    " or and is are was were seems seem looks appears would could should might must can will"
    " because since as but nor vs versus then so also too only here both being has had does did"
    " not instead rather sounds "
)
_PREP_MARKUP = re.compile(r"\*+|__|`+|\$|~~")
_TEXT_MACRO = re.compile(r"\\(?:text|textbf|mathrm|mathbf)\{([^{}]*)\}")
_CHOICE_PREFIX = re.compile(r"^\s*[(\[（]?[A-Za-z]\s*[)\]）.:、．]\s*")
_CLAUSE = re.compile(r"[。\n]|[,;!?](?!\d)")  # after NFKC, "，" is ","
_NEGATED_TEXT = re.compile(r"(?:\bnot|\bisnt|rather than|instead of|不是|并非|而非|排除|除了) ?$")
_NEGATED_TEXT_AFTER = re.compile(r" ?(?:不是|不对|错误|is not\b|isnt\b|is wrong|is incorrect)")


def _word_use(s: str, m: re.Match[str]) -> bool:
    """A bare "A" or "I" used as a word: "A good question", "I think"."""
    if (
        m["open"]
        or m["close"]
        or m["L"] not in "AaIi"
        or not (w := _WORD_AFTER.match(s, m.end("L")))
    ):
        return False
    return w[1][0].islower() and f" {w[1].lower()} " not in _NOT_ARTICLE


def _quote(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else "…" + text[-limit:])


def _option_at(s: str, pos: int, opts: list[str]) -> int | None:
    """The option whose text starts at ``pos`` (the longest), if any."""
    window = normalize(s[pos : pos + 2 * max(map(len, opts)) + 16])
    starts = [i for i, o in enumerate(opts) if o and window.startswith(o)]
    starts = [i for i in starts if not window[len(opts[i]) : len(opts[i]) + 1].isalnum()]
    return max(starts, key=lambda i: len(opts[i]), default=None)


def _letters_at(s: str, pos: int, valid: str) -> tuple[list[str], int]:
    """The letter(s) stated at ``pos`` ("B", "(B)", "A or B", "A、C") and where they end."""
    m = _LETTER_AT.match(s, pos)
    if not m or m["L"].upper() not in valid or _word_use(s, m):
        return [], pos
    found = [m["L"].upper()]
    while (c := _CONNECTOR.match(s, m.end())) and (m2 := _LETTER_AT.match(s, c.end())):
        if m2["L"] not in valid or _word_use(s, m2):  # valid holds upper case only
            break
        found.append(m2["L"])
        m = m2
    return found, m.end()


def _negated(s: str, start: int, end: int) -> bool:
    return bool(
        _NEGATED_BEFORE.search(s, max(0, start - 16), start) or _NEGATED_AFTER.match(s, end)
    )


def _verdict(letters: list[str], how: str) -> _Found:
    if len(distinct := sorted(set(letters))) > 1:
        return None, f"names several letters ({', '.join(distinct)}){' in ' + how if how else ''}"
    return distinct[0], how


def _explicit(s: str, valid: str, opts: list[str]) -> _Found | None:
    hits: list[tuple[int, int, list[str], str]] = []
    for pattern, strength in _FORWARD:
        for m in pattern.finditer(s):
            if _NEGATED_BEFORE.search(s, max(0, m.start() - 12), m.start()):
                continue
            letters, end = _letters_at(s, m.end(), valid)
            if letters and not _NEGATED_AFTER.match(s, end) and (strength > 1 or len(letters) == 1):
                hits.append((strength, m.start(), letters, _quote(s[m.start() : end])))
            elif not letters and opts and (i := _option_at(s, m.end(), opts)) is not None:
                how = f"{_quote(s[m.start() : m.end()])} and the text of option {valid[i]}"
                hits.append((strength, m.start(), [valid[i]], how))
    if not hits:
        return None
    _, _, letters, how = max(hits, key=lambda h: h[:2])
    return _verdict(letters, how)


def _leading(s: str, valid: str) -> _Found | None:
    if (m := _ALONE.match(s)) and m[1].upper() in valid:
        return m[1].upper(), f"letter alone {_quote(s)}"
    letters, end = _letters_at(s, 0, valid)
    # Lower case is no label; "A or B" and "A is wrong" are for the later steps.
    if len(letters) != 1 or letters[0] != s.lstrip("([{（【「 ")[:1] or _negated(s, 0, end):
        return None
    formatted = {x[1] for x in _FORMAT_LETTER.finditer(s) if not _negated(s, *x.span(1))}
    if s[end : end + 1] in ("", *".:、,，) \t\n") and formatted <= set(letters):
        return letters[0], f"leading letter {_quote(s[: end + 1])}"
    return None


def _reverse(s: str, valid: str) -> _Found | None:
    letters: list[str] = []
    how = ""
    for m in _REVERSE.finditer(s):
        if m["L"] in valid and not _NEGATED_BEFORE.search(s, max(0, m.start() - 16), m.start()):
            before = _PRECEDING_LETTERS.search(s, max(0, m.start() - 30), m.start())
            letters += [ch for ch in before[1] if ch in valid] if before else []  # "A和C正确"
            letters.append(m["L"])
            how = _quote(s[m.start() : m.end()])
    return _verdict(letters, how) if letters else None


def _mentions(s: str, valid: str) -> _Found | None:
    letters: list[str] = []
    last_end, last_negated = -1, False
    for m in _MENTION.finditer(s):
        if m["L"].upper() not in valid or not (m["L"].isupper() or (m["open"] and m["close"])):
            continue
        if _word_use(s, m) or _NOT_OPTION.search(s, max(0, m.start() - 12), m.start()):
            continue
        negated = _negated(s, m.start(), m.end()) or (
            last_negated and bool(_CONNECTOR.fullmatch(s, last_end, m.start()))  # "排除A、B"
        )
        last_end, last_negated = m.end(), negated
        letters += [] if negated else [m["L"].upper()]
    if not letters:
        return None
    return _verdict(letters, "") if len(set(letters)) > 1 else (letters[0], "the only letter named")


def _restated(s: str, valid: str, opts: list[str]) -> _Found | None:
    found: set[int] = set()
    for clause in _CLAUSE.split(s):  # a negation reaches no further than its clause
        said = normalize(clause)
        for i, o in enumerate(opts):
            pattern = rf"(?<![a-z0-9]){re.escape(o)}(?![a-z0-9])" if o.isascii() else re.escape(o)
            if o and any(
                not _NEGATED_TEXT.search(said, 0, m.start())
                and not _NEGATED_TEXT_AFTER.match(said, m.end())
                for m in re.finditer(pattern, said)
            ):
                found.add(i)
    kept = sorted(i for i in found if not any(opts[i] in opts[j] and i != j for j in found))
    if len(kept) == 1:
        return valid[kept[0]], f"restated option text {_quote(opts[kept[0]])}"
    if kept:
        return None, f"restates the texts of several options ({', '.join(valid[i] for i in kept)})"
    return None


def extract_choice(text: str, choices: Sequence[str]) -> tuple[str | None, str]:
    """The option letter a free-text answer picks, and how it was found.

    Returns ``(letter, how)``; ``letter`` is None when the answer picks no option or
    hedges between several, and ``how`` then says why. Valid letters are A, B, C …,
    one per choice (A-D when ``choices`` is empty). Full-width forms count as their
    ASCII letters; markdown and a reasoning model's ``<think>`` part are skipped.
    In order of precedence:

    1. the last explicit statement: "答案是 B", "答案：B", "选B", "选择 C 项",
       "正确答案为（D）", "故选C", "而是C", "The answer is B", "ANSWER: B", "I'd go with
       option C", "\\boxed{B}", or such a statement followed by an option's text
       ("答案是北京"); "the answer is A or B" is hedging. Weaker statements ("it's B",
       "only C", "so B") count when there is no such statement;
    2. a letter alone ("B", "**B**", "(B)"), or a leading "B." or "B)" that no other
       option label in the answer contradicts;
    3. "B is correct", "B项正确", "B 选项的说法正确", all naming the same letter;
    4. the only letter named, ignoring "A" as an article, letters inside words, negated
       letters ("not A", "排除A", "A is wrong", "A项错误") and "Plan B", "100 °C" etc.;
    5. the only option whose text the answer restates (outside a negation) when it
       names no letter.
    """
    valid = string.ascii_uppercase[: len(choices)] if choices else "ABCD"
    s = unicodedata.normalize("NFKC", text)
    if "</think>" in s and s.rsplit("</think>", 1)[1].strip():
        s = s.rsplit("</think>", 1)[1]  # a reasoning model's answer follows its thinking
    s = _PREP_MARKUP.sub("", _TEXT_MACRO.sub(r"\1", s)).strip()
    if not s:
        return None, "empty response"
    opts = [unicodedata.normalize("NFKC", c) for c in choices]
    if opts and all(_CHOICE_PREFIX.match(o) for o in opts):  # options given as "A. Paris"
        opts = [_CHOICE_PREFIX.sub("", o) for o in opts]
    opts = [normalize(o) for o in opts]
    return (
        _explicit(s, valid, opts)
        or _leading(s, valid)
        or _reverse(s, valid)
        or _mentions(s, valid)
        or (_restated(s, valid, opts) if opts else None)
        or (None, "no option letter or option text found")
    )
