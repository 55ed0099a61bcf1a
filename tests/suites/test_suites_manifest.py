"""Manifests: problems located in the YAML, and include semantics."""

from __future__ import annotations

from pathlib import Path

from tianping.core import Problem
from tianping.suites import SuiteManifest, load_suite, validate_suite

ITEMS = '{"id": "%s", "prompt": "p"}\n'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def manifest_problem(tmp_path: Path, text: str) -> Problem:
    write(tmp_path / "items.jsonl", ITEMS % "a")
    path = write(tmp_path / "suite.yaml", text)
    problem = only(validate_suite(path))
    assert problem.path == str(path)
    return problem


def test_not_a_mapping(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, "- items.jsonl\n")
    assert problem.line == 1
    assert "must be a YAML mapping" in problem.message
    assert "not a list" in problem.message


def test_empty_manifest(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, "# nothing\n")
    assert "must be a YAML mapping" in problem.message
    assert "an empty file" in problem.message


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, 'name: x\nitems: [items.jsonl\nversion: "1"\n')
    assert problem.line == 3
    assert problem.message.startswith("YAML syntax error:")


def test_unknown_key_at_its_line_with_suggestion(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, "name: x\nitems: [items.jsonl]\nscorrer: exact\n")
    assert problem.line == 3
    assert problem.message == "unknown field 'scorrer' (did you mean 'scorer'?)"


def test_wrong_type_at_its_line(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, "name: x\nitems: items.jsonl\n")
    assert problem.line == 2
    assert problem.message.startswith("field 'items':")


def test_duplicate_key(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, "name: x\nitems: [items.jsonl]\nname: y\n")
    assert (problem.line, problem.message) == (3, "key 'name' appears twice")


def test_missing_name(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, "items: [items.jsonl]\n")
    assert problem.line == 0
    assert "missing key 'name'" in problem.message


def test_manifest_problems_do_not_hide_item_problems(tmp_path: Path) -> None:
    items = write(tmp_path / "items.jsonl", '{"id": "a"}\n')
    manifest = write(tmp_path / "suite.yaml", "items: [items.jsonl]\ncolour: red\n")
    problems = validate_suite(manifest)
    assert [(p.path, p.line) for p in problems] == [
        (str(manifest), 0),
        (str(manifest), 2),
        (str(items), 1),
    ]


def test_item_file_not_found_at_the_entry_line(tmp_path: Path) -> None:
    text = "name: x\nitems:\n  - items.jsonl\n  - missing.jsonl\n"
    problem = manifest_problem(tmp_path, text)
    assert (problem.line, problem.message) == (4, "item file not found: 'missing.jsonl'")


def test_item_file_of_unknown_type(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt", "x")
    problem = manifest_problem(tmp_path, "name: x\nitems: [items.jsonl, notes.txt]\n")
    assert problem.line == 2
    assert "must be .jsonl or .csv" in problem.message


def test_csv_item_file_needs_a_column_map(tmp_path: Path) -> None:
    write(tmp_path / "bank.csv", "id,q\n1,x\n")
    problem = manifest_problem(tmp_path, "name: x\nitems:\n  - bank.csv\n")
    assert problem.line == 3
    assert "no 'csv:' column map" in problem.message


def test_no_items_at_all(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, "name: x\n")
    assert problem.line == 0
    assert "no item files" in problem.message


def test_include_not_found(tmp_path: Path) -> None:
    text = "name: x\ninclude:\n  - other/suite.yaml\nitems: [items.jsonl]\n"
    problem = manifest_problem(tmp_path, text)
    assert (problem.line, problem.message) == (3, "include not found: 'other/suite.yaml'")


def test_include_cycle_is_caught(tmp_path: Path) -> None:
    write(tmp_path / "a" / "items.jsonl", ITEMS % "a")
    write(tmp_path / "b" / "items.jsonl", ITEMS % "b")
    a = write(
        tmp_path / "a" / "suite.yaml", "name: a\ninclude: [../b/suite.yaml]\nitems: [items.jsonl]\n"
    )
    b = write(
        tmp_path / "b" / "suite.yaml", "name: b\ninclude: [../a/suite.yaml]\nitems: [items.jsonl]\n"
    )
    problem = only(validate_suite(a))
    assert (problem.path, problem.line) == (str(b), 2)
    assert problem.message == "include cycle: suite.yaml -> ../b/suite.yaml -> suite.yaml"


def test_self_include_is_a_cycle(tmp_path: Path) -> None:
    problem = manifest_problem(tmp_path, "name: x\ninclude: [suite.yaml]\nitems: [items.jsonl]\n")
    assert problem.line == 2
    assert problem.message.startswith("include cycle:")


def test_include_order_name_and_scorer_inheritance(tmp_path: Path) -> None:
    write(tmp_path / "one" / "items.jsonl", ITEMS % "1a" + ITEMS % "1b")
    write(tmp_path / "one" / "suite.yaml", "name: one\nscorer: exact\nitems: [items.jsonl]\n")
    write(tmp_path / "two" / "items.jsonl", ITEMS % "2a")
    write(tmp_path / "two" / "suite.yaml", "name: two\nscorer: judge\nitems: [items.jsonl]\n")
    write(tmp_path / "own.jsonl", ITEMS % "own")
    top = write(
        tmp_path / "suite.yaml",
        "name: top\nversion: '3'\ninclude: [one/suite.yaml, two/suite.yaml]\nitems: [own.jsonl]\n",
    )
    suite = load_suite(top)
    assert (suite.name, suite.version, suite.manifest.scorer) == ("top", "3", "exact")
    assert [item.id for item in suite.iter_items()] == ["1a", "1b", "2a", "own"]
    assert suite.files == (
        str(tmp_path / "one" / "items.jsonl"),
        str(tmp_path / "two" / "items.jsonl"),
        str(tmp_path / "own.jsonl"),
    )


def test_own_scorer_wins_over_included(tmp_path: Path) -> None:
    write(tmp_path / "one" / "items.jsonl", ITEMS % "a")
    write(tmp_path / "one" / "suite.yaml", "name: one\nscorer: exact\nitems: [items.jsonl]\n")
    top = write(tmp_path / "suite.yaml", "name: top\nscorer: judge\ninclude: [one/suite.yaml]\n")
    assert load_suite(top).manifest.scorer == "judge"


def test_a_suite_included_twice_counts_once(tmp_path: Path) -> None:
    write(tmp_path / "base" / "items.jsonl", ITEMS % "base")
    write(tmp_path / "base" / "suite.yaml", "name: base\nitems: [items.jsonl]\n")
    for side in ("left", "right"):
        write(tmp_path / side / "items.jsonl", ITEMS % side)
        write(
            tmp_path / side / "suite.yaml",
            f"name: {side}\ninclude: [../base/suite.yaml]\nitems: [items.jsonl]\n",
        )
    top = write(
        tmp_path / "suite.yaml", "name: top\ninclude: [left/suite.yaml, right/suite.yaml]\n"
    )
    assert [i.id for i in load_suite(top).iter_items()] == ["base", "left", "right"]


def test_duplicate_ids_across_included_suites(tmp_path: Path) -> None:
    write(tmp_path / "one" / "items.jsonl", ITEMS % "a" + ITEMS % "x")
    write(tmp_path / "one" / "suite.yaml", "name: one\nitems: [items.jsonl]\n")
    own = write(tmp_path / "own.jsonl", ITEMS % "b" + ITEMS % "x")
    top = write(
        tmp_path / "suite.yaml", "name: top\ninclude: [one/suite.yaml]\nitems: [own.jsonl]\n"
    )
    problem = only(validate_suite(top))
    assert (problem.path, problem.line) == (str(own), 2)
    assert problem.message == "duplicate id 'x' (first seen at one/items.jsonl:2)"


def test_problems_in_an_included_manifest_are_located_there(tmp_path: Path) -> None:
    inner = write(tmp_path / "one" / "suite.yaml", "name: one\nitems:\n  - gone.jsonl\n")
    top = write(tmp_path / "suite.yaml", "name: top\ninclude: [one/suite.yaml]\n")
    problem = only(validate_suite(top))
    assert (problem.path, problem.line) == (str(inner), 3)


def test_licence_alias_and_version_kept_as_written(tmp_path: Path) -> None:
    write(tmp_path / "items.jsonl", ITEMS % "a")
    path = write(
        tmp_path / "suite.yaml",
        "name: 2026\nversion: 2026.10\nlicense: MIT\nlanguages: [zh]\nitems: [items.jsonl]\n",
    )
    manifest = load_suite(path).manifest
    assert isinstance(manifest, SuiteManifest)
    assert (manifest.name, manifest.version, manifest.licence) == ("2026", "2026.10", "MIT")


def test_licence_and_license_together(tmp_path: Path) -> None:
    problem = manifest_problem(
        tmp_path, "name: x\nlicence: MIT\nlicense: MIT\nitems: [items.jsonl]\n"
    )
    assert problem.line == 3
    assert "both 'licence' and 'license'" in problem.message


def test_csv_map_with_unknown_field(tmp_path: Path) -> None:
    write(tmp_path / "bank.csv", "id,q\n1,x\n")
    text = "name: x\nitems: [bank.csv]\ncsv:\n  columns: {id: id, promt: q}\n"
    problems = validate_suite(write(tmp_path / "suite.yaml", text))
    assert any(
        p.line == 3 and "'promt' is not an item field (did you mean 'prompt'?)" in p.message
        for p in problems
    ), problems


def test_manifest_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_bytes("name: x\ndescription: 中文\n".encode("gbk"))
    problem = only(validate_suite(path))
    assert (problem.line, problem.path) == (2, str(path))
    assert "not UTF-8" in problem.message
