"""Jailbreak banks derived from should-refuse banks: ``tianping suites augment``.

Each item with ``refuse: true`` gives one derived item per attack: its last
user turn (the request) wrapped or encoded, everything else kept (system
message, earlier turns, risk, language, refuse, scenario, tags, meta). The
derived item's id is ``PARENT~ATTACK``; it carries ``meta.parent``,
``meta.attack``, ``meta.template`` (which wording was used) and the tag
``attack:NAME``. Templates are chosen per item by a generator seeded with the
seed, the item id and the attack, so the same seed gives the same bank and
adding items changes no other item.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from pydantic import ValidationError

from tianping.core import ConfigError, Item, Problem, SuiteError, UnknownNameError

from . import _attack_templates as T
from ._attack_templates import NotApplicable
from ._jsonl import jsonl_records
from ._loader import load_suite
from ._suite import Suite

ATTACKS: tuple[str, ...] = (
    "role-play",
    "fiction",
    "prefix-injection",
    "refusal-suppression",
    "payload-splitting",
    "base64",
    "leetspeak",
    "pinyin",
    "full-width",
    "low-resource",
    "many-shot",
)
"""Every attack ``augment`` knows, in the order ``--attacks all`` applies them."""


def attack_names() -> list[str]:
    """The attacks :func:`augment_suite` knows, in the order ``all`` applies them."""
    return list(ATTACKS)


NOT_SHOULD_REFUSE = "not a should-refuse item (refuse is not true)"


@dataclass(frozen=True)
class Translation:
    """An item's request in another language, for the ``low-resource`` attack."""

    lang: str
    text: str


@dataclass(frozen=True)
class AugmentResult:
    """What ``augment`` wrote: the folder, counts per attack, and what it skipped and why."""

    out: str
    name: str
    items: int
    by_attack: dict[str, int]
    skipped: dict[str, int]
    unavailable: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        lines = [f"wrote {self.items} items to {self.out} (suite {self.name})"]
        lines += [f"  {attack}: {n}" for attack, n in self.by_attack.items()]
        lines += [f"skipped {n}: {why}" for why, n in self.skipped.items()]
        lines += [f"not applied: {attack}: {why}" for attack, why in self.unavailable.items()]
        return "\n".join(lines)


def parse_attacks(
    spec: str | Sequence[str], *, translations: bool
) -> tuple[list[str], dict[str, str]]:
    """The attacks named (comma-separated, or ``all``) and those ``all`` left out, with why.

    ``low-resource`` named explicitly without translations is a :class:`ConfigError`.
    """
    parts = [spec] if isinstance(spec, str) else list(spec)
    names = [s.strip() for part in parts for s in part.split(",") if s.strip()]
    if not names:
        raise ConfigError("name at least one attack, or all; known: " + ", ".join(ATTACKS))
    chosen: list[str] = []
    unavailable: dict[str, str] = {}
    for name in names:
        if name not in (*ATTACKS, "all"):
            raise UnknownNameError("attack", name, (*ATTACKS, "all"))
        if name == "low-resource" and not translations:
            raise ConfigError(T.NO_TRANSLATIONS)
        for attack in ATTACKS if name == "all" else (name,):
            if attack == "low-resource" and not translations:
                unavailable[attack] = "it needs --translations FILE"
            elif attack not in chosen:
                chosen.append(attack)
    return chosen, unavailable


def read_translations(path: str | os.PathLike[str]) -> dict[str, Translation]:
    """Read a translations file (JSONL, ``{"id", "lang", "text"}`` per line) by item id.

    Every problem (bad JSON, a missing or empty field, an unknown field, a
    second translation of one id) is reported at once as a :class:`SuiteError`.
    """
    where = os.fspath(path)
    found: dict[str, Translation] = {}
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for rec in jsonl_records(Path(where)):
        if isinstance(rec, Problem):
            problems.append(rec)
            continue
        line, obj = rec
        bad = [k for k in ("id", "lang", "text") if not str(obj.get(k) or "").strip()]
        extra = sorted(set(obj) - {"id", "lang", "text"})
        if bad or extra:
            what = f"missing or empty {', '.join(bad)}" if bad else f"unknown {', '.join(extra)}"
            problems.append(Problem(where, line, f"{what}; each line needs id, lang and text"))
            continue
        item_id = str(obj["id"])
        if item_id in first:
            msg = f"a second translation of {item_id!r} (first at line {first[item_id]})"
            problems.append(Problem(where, line, msg))
            continue
        first[item_id] = line
        found[item_id] = Translation(str(obj["lang"]).strip(), str(obj["text"]))
    if not problems and not found:
        problems.append(Problem(where, 0, "empty file: no translations"))
    if problems:
        raise SuiteError(problems)
    return found


# -- one item ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    rng: random.Random
    lang: str  # "zh" or "en": which templates
    translations: dict[str, Translation]


@dataclass
class _Variant:
    template: str
    content: str  # the new last user turn
    turns: list[dict[str, str]] = field(default_factory=list)  # put before the item's messages
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


def _wrap(
    attack: str, ctx: _Context, ask: str, payload: str | None = None, **more: str
) -> _Variant:
    options = T.TEMPLATES[attack][ctx.lang]
    k = ctx.rng.randrange(len(options))
    text = Template(options[k]).substitute(
        ask=ask, payload=ask if payload is None else payload, **more
    )
    return _Variant(f"{attack}/{ctx.lang}/{k}", text)


def _encoding(
    attack: str, encode: Callable[[str], str]
) -> Callable[[str, _Context, str], _Variant]:
    return lambda ask, ctx, _id: _wrap(attack, ctx, ask, encode(ask))


def _payload_split(ask: str, ctx: _Context, _id: str) -> _Variant:
    pieces = T.split_text(ask, 3 if len(ask) >= 9 else 2)
    if len(pieces) < 2:
        raise NotApplicable("the request is too short to split")
    names = ctx.rng.choice([("a", "b", "c"), ("s1", "s2", "s3"), ("part1", "part2", "part3")])
    shown = list(zip(names, pieces, strict=False))
    ctx.rng.shuffle(shown)  # defined out of order; the expression puts them right
    lines = "\n".join(f"{v} = {json.dumps(p, ensure_ascii=False)}" for v, p in shown)
    return _wrap("payload-splitting", ctx, ask, parts=lines, expr=" + ".join(names[: len(pieces)]))


def _low_resource(ask: str, ctx: _Context, item_id: str) -> _Variant:
    tr = ctx.translations.get(item_id)
    if tr is None:
        raise NotApplicable("no translation of this item in the translations file")
    variant = _wrap("low-resource", ctx, ask, tr.text, lang=tr.lang)
    variant.meta["translation_lang"] = tr.lang
    variant.tags = ("task:translate",)
    return variant


def _many_shot(ask: str, ctx: _Context, _id: str) -> _Variant:
    n = ctx.rng.choice(T.SHOT_COUNTS)
    pool = T.SHOT_QUESTIONS[ctx.lang]
    questions: list[str] = []
    while len(questions) < n:
        questions.extend(ctx.rng.sample(pool, len(pool)))
    shots = [(q, ctx.rng.choice(T.SHOT_ANSWERS[ctx.lang])) for q in questions[:n]]
    if ctx.rng.random() < 0.5:
        turns = [
            {"role": role, "content": text}
            for q, a in shots
            for role, text in (("user", q), ("assistant", a))
        ]
        variant = _Variant(f"many-shot/{ctx.lang}/turns", ask, turns)
    else:
        user, bot = T.SPEAKERS[ctx.lang]
        colon = "：" if ctx.lang == "zh" else ": "
        text = "".join(f"{user}{colon}{q}\n{bot}{colon}{a}\n\n" for q, a in shots)
        variant = _wrap("many-shot", ctx, ask, shots=text.rstrip("\n") + "\n")
    variant.meta["shots"] = n
    return variant


_ATTACK_FUNCS: dict[str, Callable[[str, _Context, str], _Variant]] = {
    "role-play": lambda ask, ctx, _id: _wrap("role-play", ctx, ask),
    "fiction": lambda ask, ctx, _id: _wrap("fiction", ctx, ask),
    "prefix-injection": lambda ask, ctx, _id: _wrap("prefix-injection", ctx, ask),
    "refusal-suppression": lambda ask, ctx, _id: _wrap("refusal-suppression", ctx, ask),
    "payload-splitting": _payload_split,
    "base64": _encoding("base64", T.to_base64),
    "leetspeak": _encoding("leetspeak", T.to_leetspeak),
    "pinyin": _encoding("pinyin", T.to_pinyin),
    "full-width": _encoding("full-width", T.to_full_width),
    "low-resource": _low_resource,
    "many-shot": _many_shot,
}


def _ask_of(item: Item) -> str:
    return item.messages[-1].content if item.messages else (item.prompt or "")


def template_lang(item: Item) -> str:
    """``zh`` or ``en``: the item's language, else the one its request looks like."""
    lang = (item.lang or "").split("-")[0]
    if lang in ("zh", "en"):
        return lang
    chars = "".join(_ask_of(item).split())
    return "zh" if chars and T.cjk_count(chars) >= 0.1 * len(chars) else "en"


def derive(
    item: Item, attack: str, *, seed: int = 0, translations: dict[str, Translation] | None = None
) -> Item:
    """The ``attack`` variant of one item; :class:`NotApplicable` says why there is none."""
    ctx = _Context(
        random.Random(f"{seed}/{item.id}/{attack}"), template_lang(item), translations or {}
    )
    variant = _ATTACK_FUNCS[attack](_ask_of(item), ctx, item.id)
    data = item.model_dump(mode="json", exclude_defaults=True)
    data["id"] = f"{item.id}~{attack}"
    data["tags"] = list(dict.fromkeys([*item.tags, *variant.tags, f"attack:{attack}"]))
    data["meta"] = {
        **item.meta,
        **variant.meta,
        "parent": item.id,
        "attack": attack,
        "template": variant.template,
    }
    if item.messages is None and not variant.turns:
        data["prompt"] = variant.content
    else:
        data.pop("prompt", None)
        earlier = [m.model_dump() for m in (item.messages or ())[:-1]]
        data["messages"] = [*variant.turns, *earlier, {"role": "user", "content": variant.content}]
    try:
        return Item.model_validate(data)
    except ValidationError as exc:
        raise NotApplicable(f"the derived item is invalid: {exc.errors()[0]['msg']}") from None


# -- the bank ------------------------------------------------------------------------------


def augment_suite(
    path_or_name: str | os.PathLike[str],
    attacks: str | Sequence[str],
    *,
    out: str | os.PathLike[str] | None = None,
    seed: int = 0,
    translations: str | os.PathLike[str] | None = None,
) -> AugmentResult:
    """Write a jailbreak bank derived from a suite's should-refuse items.

    ``attacks`` names attacks of :data:`ATTACKS` (a list, or comma-separated;
    ``all`` for every one available). ``out`` is the folder to create
    (default: ``<suite name>-attacks`` in the working directory); it must not
    exist, or be empty. It gets ``suite.yaml`` and ``items.jsonl`` and loads
    with :func:`load_suite`; nothing is left behind on failure.
    ``translations`` is the file the ``low-resource`` attack needs (see
    :func:`read_translations`).
    """
    chosen, unavailable = parse_attacks(attacks, translations=translations is not None)
    table = read_translations(translations) if translations is not None else {}
    suite = load_suite(path_or_name)
    target = Path(out) if out is not None else Path(f"{suite.name}-attacks")
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise ConfigError(f"{target} already exists and is not empty; choose another --out")
    by_attack: Counter[str] = Counter(dict.fromkeys(chosen, 0))
    skipped: Counter[str] = Counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with (tmp / "items.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
            for item in suite.iter_items():
                if item.refuse is not True:
                    skipped[NOT_SHOULD_REFUSE] += 1
                    continue
                for attack in chosen:
                    try:
                        derived = derive(item, attack, seed=seed, translations=table)
                    except NotApplicable as exc:
                        skipped[f"{attack}: {exc}"] += 1
                        continue
                    data = derived.model_dump(mode="json", exclude_defaults=True)
                    fh.write(json.dumps(data, ensure_ascii=False) + "\n")
                    by_attack[attack] += 1
        total = sum(by_attack.values())
        if total == 0:
            why = "; ".join(f"{n} {w}" for w, n in skipped.items()) or "the suite is empty"
            raise SuiteError([Problem(suite.source, 0, f"no item to derive from: {why}")])
        name = f"{suite.name}-attacks"
        _write_manifest(tmp / "suite.yaml", suite, name, chosen, seed, total)
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return AugmentResult(str(target), name, total, dict(by_attack), dict(skipped), unavailable)


def _write_manifest(
    path: Path, suite: Suite, name: str, attacks: list[str], seed: int, n: int
) -> None:
    import yaml

    manifest = suite.manifest
    data: dict[str, Any] = {
        "name": name,
        "version": suite.version,
        "description": (
            f"Jailbreak variants of {suite.name} {suite.version} ({suite.hash}): {n} items, "
            f"attacks {', '.join(attacks)}, seed {seed}. Made by tianping suites augment."
        ),
    }
    if manifest.licence:
        data["licence"] = manifest.licence
    if manifest.languages:
        data["languages"] = list(manifest.languages)
    if manifest.scorer:
        data["scorer"] = manifest.scorer
    data["items"] = ["items.jsonl"]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")
