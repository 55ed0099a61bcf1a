"""Property: any valid items written as JSONL come back unchanged through load_suite."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tianping.core import RISKS, Item
from tianping.suites import load_suite

text = st.text(max_size=30)
nonblank = st.text(min_size=1, max_size=30).filter(str.strip)
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant"]), "content": text}
)
conversation = st.builds(
    lambda head, last: [*head, {"role": "user", "content": last}],
    st.lists(message, max_size=3),
    text,
)
json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
optional: dict[str, Any] = {
    "system": text,
    "answer": text,
    "refuse": st.booleans(),
    "target": text,
    "choices": st.lists(text, min_size=2, max_size=5),
    "tests": text,
    "risk": st.sampled_from(sorted(RISKS)),
    "lang": st.from_regex(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,2}", fullmatch=True),
    "scenario": text,
    "tags": st.lists(text, max_size=4),
    "meta": st.dictionaries(text, json_scalar | st.lists(json_scalar, max_size=3), max_size=4),
    "params": st.fixed_dictionaries(
        {}, optional={"temperature": st.floats(0, 2), "seed": st.integers()}
    ),
    "scorer": nonblank,
}
body = st.fixed_dictionaries({"prompt": nonblank}, optional=optional) | st.fixed_dictionaries(
    {"messages": conversation}, optional=optional
)
item_lists = st.lists(
    st.tuples(st.text(min_size=1, max_size=40) | st.integers(min_value=0), body),
    min_size=1,
    max_size=12,
    unique_by=lambda pair: str(pair[0]),
)


@settings(max_examples=60, deadline=None)
@given(item_lists)
def test_valid_items_round_trip(pairs: list[tuple[str | int, dict[str, Any]]]) -> None:
    records = [{"id": ident, **fields} for ident, fields in pairs]
    expected = [Item.model_validate(r) for r in records]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prop.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        suite = load_suite(path)
        assert suite.n_items == len(records)
        assert list(suite.iter_items()) == expected
