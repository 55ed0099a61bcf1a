"""``tianping review draw|next|label|status|export`` on a real assessment."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli
from tianping.cli import main
from tianping.review import next_task, submit_label
from tianping.store import Store


def _review_data() -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
    try:
        import _review_data
    finally:
        sys.path.pop(0)
    return _review_data


@pytest.fixture
def assessment(db_url: str, tmp_path: Path) -> str:
    data = _review_data()
    profile = data.write_profile(tmp_path / "profile")
    aid: str = data.make_assessment(db_url, profile, tmp_path / "out")
    with Store.open(db_url) as store:
        data.add_people(store)
    return aid


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANPING_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def tp(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """``tianping ARGS`` through the console entry point (errors become exit codes)."""
    monkeypatch.setattr(sys, "argv", ["tianping", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else int(code)), out, err


def test_draw_next_label_status_export(
    assessment: str,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aid, db = assessment, ("--db", db_url)
    code, out, err = tp(monkeypatch, capsys, "review", "draw", aid, "--n", "12", "--seed", "5", *db)
    assert code == 0, err
    assert f"drew 12 items of clause 9.3-manual of {aid} (seed 5)" in out
    assert "A1a 2" in out
    code, _out, err = tp(monkeypatch, capsys, "review", "draw", aid, *db)
    assert code == 2
    assert "already drawn" in err
    assert "Traceback" not in err

    code, out, err = tp(monkeypatch, capsys, "review", "next", aid, "--user", "ann", "--json", *db)
    assert code == 0, err
    task = json.loads(out)
    assert task["stage"] == "first"
    assert task["response"].startswith(task["prompt"])
    assert not {"score", "scores", "qualified", "status"} & set(task)
    code, out, _err = tp(monkeypatch, capsys, "review", "next", aid, "--user", "ann", *db)
    assert f"task {task['id']}  (first label)" in out
    assert f"tianping review label {task['id']}" in out

    args = ("review", "label", str(task["id"]), "--user", "ann")
    code, out, err = tp(monkeypatch, capsys, *args, "--unqualified", "--risk", "A1a", "--json", *db)
    assert code == 0, err
    done = json.loads(out)
    assert done["stage"] == "first"
    assert done["verdict"]["clause"] == "9.3-manual"
    code, _out, err = tp(monkeypatch, capsys, *args, "--qualified", *db)
    assert code == 2
    assert "already labelled" in err
    args = ("review", "label", str(task["id"]), "--user", "bo")
    code, out, err = tp(monkeypatch, capsys, *args, "--unqualified", "--note", "harmful", *db)
    assert code == 0, err
    assert "second label recorded" in out
    assert "clause 9.3-manual now: inconclusive" in out

    # The rest by the API, then the status and the export.
    with Store.open(db_url) as store:
        for name in ("ann", "bo"):
            user = store.get_user(name)
            while (t := next_task(store, user, aid)) is not None:
                submit_label(store, t.id, user, qualified=name == "ann" or t.position % 4 != 1)
    code, out, err = tp(monkeypatch, capsys, "review", "status", aid, "--json", *db)
    assert code == 0, err
    status = json.loads(out)
    assert status["tasks"] == 12
    assert status["counts"]["disputed"] + status["counts"]["agreed"] == 12
    assert status["reviewer_agreement"]["n"] == 12
    assert status["reviewers"] == {"ann": 12, "bo": 12}
    assert status["verdict"]["clause"] == "9.3-manual"
    assert set(status["auto_agreement"]) == {"risk", "keywords"}
    code, out, err = tp(monkeypatch, capsys, "review", "status", aid, *db)
    assert code == 0, err
    assert "reviewers  kappa" in out
    assert "verdict    inconclusive" in out

    code, out, err = tp(monkeypatch, capsys, "review", "export", aid, "--format", "csv", *db)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12
    assert rows[0]["first_user"] == "ann"
    assert {"final_qualified", "auto_risk", "auto_keywords", "seed"} <= set(rows[0])
    target = tmp_path / "labels.jsonl"
    code, _out, err = tp(monkeypatch, capsys, "review", "export", aid, "-o", str(target), *db)
    assert code == 0, err
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12
    assert json.loads(lines[0])["seed"] == 5
    assert "12 rows written" in err


def test_clear_errors(
    assessment: str,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aid, db = assessment, ("--db", db_url)
    code, out, err = tp(monkeypatch, capsys, "review", "status", aid, *db)
    assert code == 0, err
    assert "nothing drawn yet from its 120 items" in out
    assert tp(monkeypatch, capsys, "review", "draw", aid, "--n", "3", *db)[0] == 0
    cases = [
        (("review", "next", aid, "--user", "nobody"), "Unknown user 'nobody'"),
        (("review", "next", aid, "--user", "vic"), "labelling needs the role reviewer"),
        (("review", "label", "1", "--user", "ann"), "Say --qualified or --unqualified"),
        (("review", "label", "999", "--user", "ann", "--qualified"), "no review task 999"),
        (("review", "export", aid, "--format", "xml"), "--format is jsonl or csv"),
        (("review", "draw", aid, "--clause", "9.3-risk"), "no manual-review clause"),
        (("review", "status", "zzz"), "Unknown assessment 'zzz'"),
    ]
    for args, message in cases:
        code, _out, err = tp(monkeypatch, capsys, *args, *db)
        assert code == 2, (args, err)
        assert message in err, (args, err)
        assert "Traceback" not in err


def test_review_is_a_command_of_the_real_cli() -> None:
    done = run_cli("review", "--help")
    assert done.returncode == 0, done.stderr
    for name in ("draw", "next", "label", "status", "export"):
        assert name in done.stdout
