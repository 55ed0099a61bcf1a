"""Turning validation failures into located, readable problems, and the per-item check."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from tianping.core import Item, Message, Problem

# Pydantic says "tuple"/"dictionary"; suite authors write JSON and think in arrays and objects.
_TYPE_WORDS = {
    "tuple_type": "should be a JSON array",
    "list_type": "should be a JSON array",
    "dict_type": "should be a JSON object",
    "model_type": "should be a JSON object",
    "model_attributes_type": "should be a JSON object",
}

KnownFields = Callable[[tuple[int | str, ...]], Iterable[str]]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or an empty string."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def loc_text(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a path: ``("messages", 0, "role")`` -> ``messages[0].role``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_error(err: ErrorDetails, known: KnownFields) -> str:
    """One pydantic error as a sentence naming the field."""
    loc: tuple[int | str, ...] = tuple(err["loc"])
    kind: str = err["type"]
    if kind == "extra_forbidden" and loc:
        name = str(loc[-1])
        where = f"field {loc_text(loc[:-1])!r}: " if len(loc) > 1 else ""
        return f"{where}unknown field {name!r}{did_you_mean(name, known(loc[:-1]))}"
    if kind == "missing" and loc:
        where = f" in {loc_text(loc[:-1])!r}" if len(loc) > 1 else ""
        return f"missing field {str(loc[-1])!r}{where}"
    if kind == "value_error":
        text = str(err["msg"]).removeprefix("Value error, ")
    elif kind in _TYPE_WORDS:
        text = f"{_TYPE_WORDS[kind]} (got {_shown(err.get('input'))})"
    else:
        msg = str(err["msg"])
        text = f"{msg[:1].lower()}{msg[1:]} (got {_shown(err.get('input'))})"
    return f"field {loc_text(loc)!r}: {text}" if loc else text


def _item_fields(loc: tuple[int | str, ...]) -> Iterable[str]:
    if loc[:1] == ("messages",):
        return Message.model_fields
    return Item.model_fields


def item_messages(exc: ValidationError) -> list[str]:
    """The readable messages of a failed ``Item`` validation."""
    return [describe_error(err, _item_fields) for err in exc.errors()]


class ItemChecker:
    """Validates records as Items and finds duplicate ids across every file it is shown.

    Keeps only each id and where it was first seen, never the items, so memory
    stays bounded by the number of ids.
    """

    def __init__(self, short: Callable[[str], str] = str) -> None:
        self.problems: list[Problem] = []
        self._first: dict[str, tuple[str, int]] = {}
        self._short = short

    def check(self, obj: dict[str, Any], path: str, line: int) -> Item | None:
        """The Item for a record, or None after noting its problems."""
        item: Item | None
        try:
            item = Item.model_validate(obj)
        except ValidationError as exc:
            item = None
            self.problems.extend(Problem(path, line, m) for m in item_messages(exc))
        raw = obj.get("id")
        # Track ids of invalid records too, so one pass reports duplicates as well.
        if isinstance(raw, str) or (isinstance(raw, int) and not isinstance(raw, bool)):
            key = str(raw)
            first = self._first.get(key)
            if first is None:
                self._first[key] = (path, line)
            else:
                where = f"line {first[1]}" if first[0] == path else self._where(first)
                self.problems.append(
                    Problem(path, line, f"duplicate id {key!r} (first seen at {where})")
                )
                return None
        return item

    def _where(self, first: tuple[str, int]) -> str:
        return f"{self._short(first[0])}:{first[1]}"
