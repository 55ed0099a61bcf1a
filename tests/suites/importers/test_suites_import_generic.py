"""Importers on bad input (file:line, nothing written), and the generic jsonl and csv formats."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tianping.core import ConfigError, SuiteError, UnknownNameError
from tianping.suites import import_suite, importer_names, load_suite
from tianping.suites.importers._generic import convert_defaults, parse_pairs


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def _fails(fmt: str, source: Path, out: Path, **kwargs: object) -> list[tuple[str, int]]:
    with pytest.raises(SuiteError) as info:
        import_suite(fmt, source, out=out, **kwargs)  # type: ignore[arg-type]
    assert not out.exists()
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []  # no temp left
    return [(Path(p.path).name, p.line) for p in info.value.problems]


def test_the_formats() -> None:
    assert importer_names() == ["donotanswer", "harmbench", "advbench", "humaneval", "jsonl", "csv"]
    with pytest.raises(UnknownNameError, match="Did you mean 'harmbench'"):
        import_suite("harmbnech", "x")


def test_do_not_answer_bad_lines(tmp_path: Path) -> None:
    _write(tmp_path / "src" / "LICENSE", "licence text")
    _write(
        tmp_path / "src" / "area_a.jsonl",
        '{"prompt": "ok", "intents": ["S004lewd"]}\n{broken\n{"intents": []}\n',
    )
    _write(tmp_path / "src" / "area_b.jsonl", '{"prompt": "ok", "intents": "S004"}\n')
    problems = _fails("donotanswer", tmp_path / "src", tmp_path / "out")
    assert problems == [("area_a.jsonl", 2), ("area_a.jsonl", 3), ("area_b.jsonl", 1)]


def test_an_empty_folder_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    assert _fails("donotanswer", tmp_path / "src", tmp_path / "out") == [("src", 0)]
    assert _fails("harmbench", tmp_path / "src", tmp_path / "out") == [("src", 0)]
    assert _fails("harmbench", tmp_path / "missing.txt", tmp_path / "out") == [("missing.txt", 0)]


def test_harmbench_not_utf8(tmp_path: Path) -> None:
    src = tmp_path / "hb.txt"
    src.write_bytes(b"first behaviour\n" + "第二行".encode("gbk") + b"\n")
    assert _fails("harmbench", src, tmp_path / "out") == [("hb.txt", 2)]


def test_advbench_bad_yaml_and_bad_seeds(tmp_path: Path) -> None:
    bad = _write(tmp_path / "a.yaml", "seeds:\n  - value: ok\n  - value: [unclosed\n")
    assert _fails("advbench", bad, tmp_path / "out") == [("a.yaml", 4)]
    seeds = _write(
        tmp_path / "b.yaml",
        "seeds:\n"
        "- value: fine\n"
        "  harm_categories: [Self-harm]\n"
        "- harm_categories: [Physical]\n"
        "- value: also fine\n"
        "  harm_categories: Physical\n",
    )
    assert _fails("advbench", seeds, tmp_path / "out") == [("b.yaml", 4), ("b.yaml", 5)]
    assert _fails("advbench", _write(tmp_path / "c.yaml", "- 1\n"), tmp_path / "out") == [
        ("c.yaml", 1)
    ]


def test_humaneval_plain_and_gzipped(tmp_path: Path) -> None:
    row = {
        "task_id": "T/0",
        "prompt": "def f():\n",
        "entry_point": "f",
        "canonical_solution": "    return 1\n",
        "test": "def check(c):\n    assert c() == 1\n",
    }
    plain = _write(tmp_path / "he.jsonl", json.dumps(row) + "\n")
    assert import_suite("humaneval", plain, out=tmp_path / "a").items == 1
    gz = tmp_path / "he.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n" + json.dumps({**row, "test": ""}) + "\n[1]\n")
    assert _fails("humaneval", gz, tmp_path / "b") == [("he.jsonl.gz", 2), ("he.jsonl.gz", 3)]
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"task_id": "x"}\n')[:-12])
    assert _fails("humaneval", broken, tmp_path / "c")[-1][0] == "broken.jsonl.gz"


def test_generic_jsonl_as_items_and_through_a_map(tmp_path: Path) -> None:
    items = _write(tmp_path / "bank.jsonl", '{"id": 1, "prompt": "hello", "risk": "A1a"}\n')
    result = import_suite("jsonl", items, out=tmp_path / "a", defaults={"lang": "zh"})
    assert (result.name, result.items, result.with_risk, result.licence) == ("bank", 1, 1, None)
    (item,) = load_suite(tmp_path / "a").iter_items()
    assert (item.id, item.lang, item.risk) == ("1", "zh", "A1a")
    mapped = _write(
        tmp_path / "qa.jsonl",
        '{"qid": "q1", "question": "你好", "bad": "是", "labels": "x|y"}\n'
        '{"qid": "q2", "question": "再见", "bad": "否", "labels": ""}\n',
    )
    result = import_suite(
        "jsonl",
        mapped,
        out=tmp_path / "b",
        name="qa-bank",
        licence="CC-BY-4.0",
        columns={"id": "qid", "prompt": "question", "refuse": "bad", "tags": "labels"},
    )
    assert (result.name, result.licence, result.should_refuse) == ("qa-bank", "CC-BY-4.0", 1)
    q1, q2 = load_suite(tmp_path / "b").iter_items()
    assert (q1.refuse, q1.tags, q2.refuse, q2.tags) == (True, ("x", "y"), False, ())


def test_generic_jsonl_problems(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "qa.jsonl",
        '{"qid": "q1", "question": "ok", "bad": "yes"}\n'
        '{"qid": "q2"}\n'
        "[1, 2]\n"
        '{"qid": "q3", "question": "x", "bad": "maybe"}\n'
        '{"qid": "q1", "question": "again"}\n',
    )
    columns = {"id": "qid", "prompt": "question", "refuse": "bad"}
    problems = _fails("jsonl", src, tmp_path / "out", columns=columns)
    # line 2 lacks two keys; line 5 lacks 'bad' (so its repeated id goes unchecked)
    assert [line for _name, line in problems] == [2, 2, 3, 4, 5]
    with pytest.raises(SuiteError, match=r"field map: .*must map 'id'"):
        import_suite("jsonl", src, out=tmp_path / "o2", columns={"prompt": "question"})


def test_generic_csv_with_and_without_a_map(tmp_path: Path) -> None:
    src = _write(tmp_path / "bank.csv", "编号,问题,风险\n1,第一题,A1a\n2,第二题,\n")
    columns = {"id": "编号", "prompt": "问题", "risk": "风险"}
    import_suite("csv", src, out=tmp_path / "a", columns=columns, defaults={"lang": "zh"})
    one, two = load_suite(tmp_path / "a").iter_items()
    assert (one.id, one.risk, one.lang, two.risk) == ("1", "A1a", "zh", None)
    plain = _write(tmp_path / "plain.csv", "id,prompt,refuse,notes\na,hello,yes,ignored\n")
    import_suite("csv", plain, out=tmp_path / "b")
    (item,) = load_suite(tmp_path / "b").iter_items()
    assert (item.id, item.prompt, item.refuse) == ("a", "hello", True)
    tsv = _write(tmp_path / "t.tsv", "id\tprompt\nx\thi, there\n")
    import_suite("csv", tsv, out=tmp_path / "c")
    assert next(load_suite(tmp_path / "c").iter_items()).prompt == "hi, there"


def test_generic_csv_problems(tmp_path: Path) -> None:
    src = _write(tmp_path / "bank.csv", "编号,题目\n1,q\n")
    assert _fails("csv", src, tmp_path / "out", columns={"id": "编号", "prompt": "问题"}) == [
        ("bank.csv", 1)
    ]
    rows = _write(tmp_path / "rows.csv", "id,prompt,risk\na,ok,A1a\nb,bad,A9z\nc,x\n")
    assert _fails("csv", rows, tmp_path / "out") == [("rows.csv", 3), ("rows.csv", 4)]


def test_options(tmp_path: Path) -> None:
    pairs = parse_pairs(["id=编号", "prompt = 问题=x"], "--map")
    assert pairs == {"id": "编号", "prompt": " 问题=x"}
    with pytest.raises(ConfigError, match="--map takes FIELD=VALUE"):
        parse_pairs(["id"], "--map")
    assert convert_defaults({"refuse": "是", "tags": "a|b", "lang": "zh"}) == {
        "refuse": True, "tags": ["a", "b"], "lang": "zh"
    }  # fmt: skip
    with pytest.raises(ConfigError, match="not an item field"):
        convert_defaults({"colour": "red"})
    with pytest.raises(ConfigError, match="--set refuse"):
        convert_defaults({"refuse": "perhaps"})
    with pytest.raises(ConfigError, match="apply to the jsonl and csv formats"):
        import_suite("harmbench", tmp_path, columns={"id": "x"})
    busy = tmp_path / "busy"
    _write(busy / "x.txt", "mine")
    src = _write(tmp_path / "b.jsonl", '{"id": "a", "prompt": "q"}\n')
    with pytest.raises(ConfigError, match="not empty"):
        import_suite("jsonl", src, out=busy)
