"""load_suite, validate_suite, built-ins, the content hash and streaming."""

from __future__ import annotations

import hashlib
import json
import shutil
import tracemalloc
from pathlib import Path

import pytest

import tianping.suites
from tianping.core import Item, SuiteError
from tianping.suites import builtin_suites, load_suite, validate_suite

FIXTURES = Path(__file__).parent / "fixtures"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_exported_names() -> None:
    assert sorted(tianping.suites.__all__) == [
        "AugmentResult",
        "CoverageResult",
        "CsvMap",
        "Finding",
        "GroupCoverage",
        "ImportResult",
        "LintReport",
        "Suite",
        "SuiteManifest",
        "SuiteStats",
        "attack_names",
        "augment_suite",
        "builtin_suites",
        "check_coverage",
        "check_coverages",
        "import_csv",
        "import_suite",
        "importer_names",
        "lint_suite",
        "load_suite",
        "suite_stats",
        "validate_suite",
    ]
    for name in tianping.suites.__all__:
        assert getattr(tianping.suites, name).__module__.startswith("tianping.suites")


def test_fixture_suite_loads_with_everything_resolved() -> None:
    suite = load_suite(FIXTURES / "mini" / "suite.yaml")
    assert (suite.name, suite.version, suite.n_items) == ("mini", "2026.1", 8)
    assert suite.source == str((FIXTURES / "mini" / "suite.yaml").absolute())
    assert suite.manifest.licence == "Apache-2.0"
    assert suite.manifest.scorer == "exact"  # inherited from base
    assert [Path(f).name for f in suite.files] == ["base.jsonl", "extra.jsonl", "bank.csv"]
    assert all(Path(f).is_absolute() for f in suite.files)
    assert suite.hash.startswith("sha256:")
    assert len(suite.hash) == len("sha256:") + 64


def test_folder_means_its_suite_yaml() -> None:
    assert load_suite(FIXTURES / "mini").hash == load_suite(FIXTURES / "mini" / "suite.yaml").hash


def test_bare_jsonl_implies_a_manifest(tmp_path: Path) -> None:
    path = write(tmp_path / "my-bank.jsonl", '{"id": "a", "prompt": "x"}\n')
    suite = load_suite(str(path))
    assert (suite.name, suite.version, suite.n_items) == ("my-bank", "0", 1)
    assert suite.files == (str(path),)


def test_unknown_name_suggests_a_builtin() -> None:
    (problem,) = validate_suite("sampel")
    assert (problem.path, problem.line) == ("sampel", 0)
    assert "did you mean 'sample'" in problem.message


def test_missing_path() -> None:
    (problem,) = validate_suite(Path("no/such/suite.yaml"))
    assert problem.message == "no such file"


def test_load_raises_with_every_problem_across_two_files(tmp_path: Path) -> None:
    one = write(tmp_path / "one.jsonl", '{"id": "a", "prompt": "x"}\n{bad\n{"id": "b"}\n')
    two = write(
        tmp_path / "two.jsonl",
        '{"id": "a", "prompt": "y"}\n\n{"id": "c", "prompt": "z", "risk": "nope"}\n',
    )
    manifest = write(
        tmp_path / "suite.yaml", "name: two-files\nitems: [one.jsonl, two.jsonl, gone.jsonl]\n"
    )
    with pytest.raises(SuiteError) as info:
        load_suite(manifest)
    assert [(p.path, p.line) for p in info.value.problems] == [
        (str(manifest), 2),
        (str(one), 2),
        (str(one), 3),
        (str(two), 1),
        (str(two), 3),
    ]
    assert info.value.problems[3].message == "duplicate id 'a' (first seen at one.jsonl:1)"
    assert validate_suite(manifest) == info.value.problems


def test_builtin_suites_are_listed_by_folder() -> None:
    builtins = builtin_suites()
    assert "sample" in builtins
    assert builtins["sample"].name == "suite.yaml"
    assert builtins["sample"].parent.name == "sample"


def test_builtin_sample_loads_and_every_item_validates() -> None:
    suite = load_suite("sample")
    assert (suite.name, suite.version) == ("sample", "2026.11")
    assert suite.manifest.licence == "Apache-2.0"
    assert suite.manifest.description
    assert validate_suite("sample") == []
    items = list(suite.iter_items())
    assert len(items) == suite.n_items >= 30
    assert {i.lang for i in items} == {"zh", "en"}
    refusals = [i for i in items if i.refuse is True]
    assert refusals
    assert all(i.risk is not None and i.risk[:2] in {"A1", "A2", "A3", "A4"} for i in refusals)
    assert any(i.refuse is False for i in items)
    assert any(i.messages is not None for i in items)
    assert all(i.answer is not None and len(i.answer) == 1 for i in items if i.choices)


def test_hash_is_independent_of_where_the_suite_lies(tmp_path: Path) -> None:
    here = load_suite(FIXTURES / "mini").hash
    shutil.copytree(FIXTURES / "mini", tmp_path / "a")
    shutil.copytree(FIXTURES / "mini", tmp_path / "deeper" / "b")
    assert load_suite(tmp_path / "a").hash == here
    assert load_suite(tmp_path / "deeper" / "b" / "suite.yaml").hash == here


def test_hash_changes_with_any_item_byte(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "mini", tmp_path / "s")
    before = load_suite(tmp_path / "s").hash
    base = tmp_path / "s" / "base" / "base.jsonl"
    data = base.read_bytes()
    base.write_bytes(data.replace(b'"answer": "6"', b'"answer": "7"'))
    assert load_suite(tmp_path / "s").hash != before
    base.write_bytes(data)
    assert load_suite(tmp_path / "s").hash == before


@pytest.mark.parametrize(
    ("old", "new"),
    [('version: "2026.1"', 'version: "2026.2"'), ("name: mini", "name: maxi"),
     ("    lang: zh", "    lang: en"), ("include:", "scorer: judge\ninclude:")],
)  # fmt: skip
def test_hash_changes_with_manifest_semantics(tmp_path: Path, old: str, new: str) -> None:
    shutil.copytree(FIXTURES / "mini", tmp_path / "s")
    before = load_suite(tmp_path / "s").hash
    manifest = tmp_path / "s" / "suite.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert old in text
    manifest.write_text(text.replace(old, new), encoding="utf-8")
    assert load_suite(tmp_path / "s").hash != before


def test_hash_ignores_description_and_comments(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "mini", tmp_path / "s")
    before = load_suite(tmp_path / "s").hash
    manifest = tmp_path / "s" / "suite.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text("# edited\n" + text + "description: now described\n", encoding="utf-8")
    assert load_suite(tmp_path / "s").hash == before


def test_hash_follows_the_documented_definition(tmp_path: Path) -> None:
    data = b'{"id": "a", "prompt": "x"}\n'
    (tmp_path / "bank.jsonl").write_bytes(data)

    def canon(value: object) -> bytes:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    text = (
        b"tianping-suite-hash v1\n"
        + b"file " + canon(["bank.jsonl", hashlib.sha256(data).hexdigest(), None]) + b"\n"
        + b"suite " + canon({"name": "bank", "scorer": None, "version": "0"}) + b"\n"
    )  # fmt: skip
    assert load_suite(tmp_path / "bank.jsonl").hash == "sha256:" + hashlib.sha256(text).hexdigest()


def test_iter_items_streams_in_file_order_from_disk(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "mini", tmp_path / "s")
    suite = load_suite(tmp_path / "s")
    ids = [i.id for i in suite.iter_items()]
    assert ids == ["b1", "b2", "b3", "e1", "e2", "c1", "c2", "c3"]
    assert all(isinstance(i, Item) for i in suite.iter_items())
    # Items are read lazily, from disk, each time: a line broken after loading
    # surfaces only when the stream reaches it.
    with (tmp_path / "s" / "bank.csv").open("a", encoding="utf-8") as fh:
        fh.write("c4,,否\n")
    stream = suite.iter_items()
    assert [next(stream).id for _ in range(8)] == ids
    with pytest.raises(SuiteError) as info:
        next(stream)
    assert info.value.problems[0].line == 6


def test_validation_memory_is_bounded_by_ids(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(20_000):
            fh.write(json.dumps({"id": f"q{i}", "prompt": f"What is {i} + {i}? " * 5}) + "\n")
    tracemalloc.start()
    try:
        assert load_suite(path).n_items == 20_000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Holding 20,000 Items takes ~25 MB; ids and their locations take ~3 MB.
    assert peak < 10_000_000
