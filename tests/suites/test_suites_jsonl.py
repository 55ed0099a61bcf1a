"""JSONL item files: every malformed line is reported with its file, line and a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tianping.core import Problem, SuiteError
from tianping.suites import load_suite, validate_suite

GOOD = '{"id": "ok", "prompt": "Hello?"}'


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def one_problem(tmp_path: Path, text: str) -> Problem:
    path = write(tmp_path / "items.jsonl", text)
    problem = only(validate_suite(path))
    assert problem.path == str(path)
    return problem


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, GOOD + '\n{"id": "x" "prompt": "y"}\n')
    assert problem.line == 2
    assert "invalid JSON: Expecting ',' delimiter at column 12" in problem.message


def test_json_that_is_not_an_object(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, GOOD + '\n["id", "prompt"]\n')
    assert problem.line == 2
    assert "not a JSON object (got an array)" in problem.message


def test_missing_field(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, '{"prompt": "no id here"}\n')
    assert (problem.line, problem.message) == (1, "missing field 'id'")


def test_neither_prompt_nor_messages(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, '{"id": "a"}\n')
    assert problem.line == 1
    assert "exactly one of 'prompt' and 'messages'" in problem.message


def test_wrong_type_names_field_and_value(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, GOOD + '\n\n{"id": "b", "prompt": "p", "refuse": "maybe"}\n')
    assert problem.line == 3
    assert problem.message.startswith("field 'refuse': ")
    assert "'maybe'" in problem.message


def test_array_field_given_a_string_says_json_array(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, '{"id": "a", "prompt": "p", "tags": "x"}\n')
    assert problem.message == "field 'tags': should be a JSON array (got 'x')"


def test_unknown_field_suggests_the_close_one(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, '{"id": "a", "prompt": "p", "anwser": "x"}\n')
    assert problem.message == "unknown field 'anwser' (did you mean 'answer'?)"


def test_unknown_field_inside_a_message(tmp_path: Path) -> None:
    line = '{"id": "a", "messages": [{"rol": "user", "content": "hi"}]}\n'
    problems = validate_suite(write(tmp_path / "items.jsonl", line))
    messages = {p.message for p in problems}
    assert "field 'messages[0]': unknown field 'rol' (did you mean 'role'?)" in messages
    assert "missing field 'role' in 'messages[0]'" in messages
    assert all(p.line == 1 for p in problems)


def test_unknown_risk_id(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, '{"id": "a", "prompt": "p", "risk": "A9z"}\n')
    assert problem.line == 1
    assert problem.message.startswith("field 'risk': unknown risk id 'A9z'")


def test_risk_names_are_accepted_and_stored_as_ids(tmp_path: Path) -> None:
    path = write(tmp_path / "items.jsonl", '{"id": "a", "prompt": "p", "risk": "地域歧视内容"}\n')
    (item,) = load_suite(path).iter_items()
    assert item.risk == "A2d"


def test_duplicate_id_in_one_file(tmp_path: Path) -> None:
    text = '{"id": "x", "prompt": "1"}\n{"id": "y", "prompt": "2"}\n{"id": "x", "prompt": "3"}\n'
    problem = one_problem(tmp_path, text)
    assert problem.line == 3
    assert problem.message == "duplicate id 'x' (first seen at line 1)"


def test_integer_and_text_ids_collide(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, '{"id": 7, "prompt": "1"}\n{"id": "7", "prompt": "2"}\n')
    assert (problem.line, problem.message) == (2, "duplicate id '7' (first seen at line 1)")


def test_empty_file_is_a_problem_at_line_0(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, "\n  \n")
    assert problem.line == 0
    assert "empty file" in problem.message


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "items.jsonl", f"\n{GOOD}\n\n   \n" + GOOD.replace("ok", "ok2") + "\n")
    suite = load_suite(path)
    assert suite.n_items == 2
    assert [item.id for item in suite.iter_items()] == ["ok", "ok2"]


def test_crlf_line_endings_and_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(b'{"id": "a", "prompt": "x"}\r\n{"id": "b", "prompt": "y"}')
    assert [item.id for item in load_suite(path).iter_items()] == ["a", "b"]


def test_line_separators_inside_strings_do_not_split_lines(tmp_path: Path) -> None:
    # U+2028 and U+0085 are line breaks to str.splitlines but not to JSONL.
    text = json.dumps({"id": "a", "prompt": "one\u2028two\x85three"}, ensure_ascii=False)
    (item,) = load_suite(write(tmp_path / "items.jsonl", text + "\n")).iter_items()
    assert item.prompt == "one\u2028two\x85three"


def test_utf8_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\n")
    assert load_suite(path).n_items == 1


def test_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes((GOOD + "\n").encode("utf-16"))
    problem = only(validate_suite(path))
    assert (problem.path, problem.line) == (str(path), 1)
    assert "not UTF-8 (looks like UTF-16)" in problem.message


def test_non_utf8_reports_the_first_bad_line_once(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    gbk = '{"id": "%s", "prompt": "你好"}\n'
    path.write_bytes(GOOD.encode() + b"\n" + (gbk % "a").encode("gbk") + (gbk % "b").encode("gbk"))
    problem = only(validate_suite(path))
    assert problem.line == 2
    assert problem.message.startswith("not UTF-8: byte 0xc4 at column 24")
    assert "1 more line(s)" in problem.message


def test_encoding_problem_sorted_among_other_problems(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(b'{"id": "\xff", "prompt": "x"}\n{"id": "a"}\n')
    assert [p.line for p in validate_suite(path)] == [1, 2]


def test_every_problem_in_a_file_is_reported(tmp_path: Path) -> None:
    lines = [GOOD, "{oops", "42", '{"id": "ok", "prompt": "dup"}', '{"id": "z", "prompt": ""}']
    path = write(tmp_path / "items.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert [p.line for p in info.value.problems] == [2, 3, 4, 5]
    assert "4 problems" in str(info.value)
    assert f"{path}:2: invalid JSON" in str(info.value)
