"""The ``tianping`` command line: in-process (CliRunner, and ``main()`` for exit codes) and a
few real ``python -m tianping`` subprocesses."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tianping
from conftest import Reply, ScriptedServer, cli_env, run_cli, write_suite
from tianping.cli import app, main
from tianping.store import SCHEMA_HEAD, Store

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env)


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """``tianping ARGS`` through the console entry point, which maps errors to exit codes."""
    monkeypatch.setattr(sys, "argv", ["tianping", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else int(code)), out, err


@pytest.fixture(autouse=True)
def _wide_and_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANPING_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def _one_json(text: str) -> dict[str, Any]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got: {text!r}"
    data: dict[str, Any] = json.loads(lines[0])
    return data


@pytest.fixture
def finished_run(db_url: str) -> str:
    result = invoke("run", "--model", "mock:echo", "--suite", "sample", "--json", "--db", db_url)
    assert result.exit_code == 0, result.output
    run_id: str = _one_json(result.stdout)["run_id"]
    return run_id


# -- real subprocesses ---------------------------------------------------------------------


def test_help_lists_the_commands() -> None:
    done = run_cli("--help")
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("Commands:", 1)[1]
    names = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert names == {
        "catalog",
        "review",
        "serve",
        "users",
        "tokens",
        "assess",
        "assessments",
        "profiles",
        "report",
        "keys",
        "verify",
        "run",
        "runs",
        "score",
        "calibrate",
        "responses",
        "models",
        "suites",
        "keywords",
        "db",
    }
    assert "--version" in done.stdout
    assert "Traceback" not in done.stderr


def test_no_arguments_shows_help() -> None:
    result = invoke()
    assert "run" in result.output
    assert "suites" in result.output


def test_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"tianping {tianping.__version__}"


def test_run_json_subprocess(db_url: str) -> None:
    done = run_cli("run", "--model", "mock:echo", "--suite", "sample", "--json", "--db", db_url)
    assert done.returncode == 0, done.stderr
    data = _one_json(done.stdout)
    for key in ("run_id", "items", "completed", "failed", "requests_sent", "cache_hits", "wall_s"):
        assert key in data
    assert (data["items"], data["completed"], data["failed"]) == (40, 40, 0)
    assert (data["requests_sent"], data["cache_hits"]) == (40, 0)
    assert data["status"] == "completed"
    assert isinstance(data["wall_s"], float)
    with Store.open(db_url) as store:
        assert [r.id for r in store.list_runs()] == [data["run_id"]]


def test_bad_model_spec_subprocess(db_url: str) -> None:
    done = run_cli("run", "--model", "nocolon", "--suite", "sample", "--db", db_url)
    assert done.returncode == 2
    assert "not PREFIX:MODEL" in done.stderr
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr
    with Store.open(db_url) as store:
        assert store.list_runs() == []


def test_missing_api_key_subprocess(db_url: str) -> None:
    env = cli_env(DASHSCOPE_API_KEY=None)
    done = run_cli("run", "-m", "qwen:qwen-plus", "-s", "sample", "--db", db_url, env=env)
    assert done.returncode == 2
    assert "DASHSCOPE_API_KEY" in done.stderr
    assert "Traceback" not in done.stderr
    with Store.open(db_url) as store:
        assert store.list_runs() == []


def test_tianping_db_env_subprocess(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/env.db"
    env = cli_env(TIANPING_DB=url)
    done = run_cli("run", "--model", "mock:echo", "--suite", "sample", "--json", env=env)
    assert done.returncode == 0, done.stderr
    data = _one_json(done.stdout)
    assert data["db"] == url
    listed = run_cli("runs", "list", "--json", env=env)
    assert [r["id"] for r in json.loads(listed.stdout)] == [data["run_id"]]


def test_models_presets_table_shows_key_variables() -> None:
    # As piped (80 columns): the key variable is what a user needs to read in full.
    done = run_cli("models", "presets", env=cli_env(COLUMNS=None))
    assert done.returncode == 0, done.stderr
    for name, key in (("openai", "OPENAI_API_KEY"), ("qwen", "DASHSCOPE_API_KEY")):
        assert name in done.stdout
        assert key in done.stdout, f"{key} missing or cut short in:\n{done.stdout}"


# -- run -----------------------------------------------------------------------------------


def test_run_text_output(db_url: str) -> None:
    result = invoke("run", "-m", "mock:echo", "-s", "sample", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "completed" in result.stdout
    assert "40/40 done" in result.stdout
    assert "Resume with" not in result.stdout


def test_run_again_is_served_from_cache(db_url: str, finished_run: str) -> None:
    result = invoke("run", "-m", "mock:echo", "-s", "sample", "--json", "--db", db_url)
    data = _one_json(result.stdout)
    assert (data["requests_sent"], data["cache_hits"]) == (0, 40)
    assert data["run_id"] != finished_run


def test_run_temperature_option_is_sent(db_url: str, finished_run: str) -> None:
    result = invoke(
        "run", "-m", "mock:echo", "-s", "sample", "--temperature", "0.7", "--json", "--db", db_url
    )
    data = _one_json(result.stdout)
    assert (data["requests_sent"], data["cache_hits"]) == (40, 0)
    with Store.open(db_url) as store:
        sent = store.get_run(data["run_id"]).manifest["params"]["sent"]
    assert sent["temperature"] == 0.7


def test_run_with_failed_items_exits_1_and_says_resume(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run_main(
        monkeypatch,
        capsys,
        "run",
        "-m",
        "mock:echo?error_rate=1&error_kind=500",
        "-s",
        "sample",
        "--max-attempts",
        "1",
        "--db",
        db_url,
    )
    assert code == 1
    assert "incomplete" in out
    assert "Resume with: tianping run --resume" in out


def test_run_resume_via_cli(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suite = str(write_suite(tmp_path / "s.jsonl", 20))
    spec = "mock:echo?error_rate=0.5&error_kind=429"  # 429 asks for 10 ms: quick retries
    code, out, _ = run_main(
        monkeypatch, capsys, "run", "-m", spec, "-s", suite, "--max-attempts", "1", "--json",
        "--db", db_url,
    )  # fmt: skip
    assert code == 1
    first = _one_json(out)
    assert first["failed"] > 0
    code, out, err = run_main(
        monkeypatch, capsys, "run", "--resume", first["run_id"][:12], "--max-attempts", "30",
        "--json", "--db", db_url,
    )  # fmt: skip
    assert code == 0, err
    again = _one_json(out)
    assert again["run_id"] == first["run_id"]
    assert (again["status"], again["completed"], again["failed"]) == ("completed", 20, 0)
    assert again["requests_sent"] - again["retries"] == first["failed"]


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["run", "--model", "mock:echo"],
        ["run", "--suite", "sample"],
        ["run", "--resume", "x", "--model", "mock:echo"],
    ],
    ids=["nothing", "no-suite", "no-model", "resume-and-model"],
)
def test_run_option_errors_exit_2(
    args: list[str],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _out, err = run_main(monkeypatch, capsys, *args, "--db", db_url)
    assert code == 2
    assert err.startswith("error: ")
    assert "--resume" in err
    assert "Traceback" not in err


def test_unknown_model_prefix_suggests(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run_main(
        monkeypatch, capsys, "run", "-m", "qwne:qwen-plus", "-s", "sample", "--db", db_url
    )
    assert code == 2
    assert "Did you mean 'qwen'" in err


def test_missing_api_key_exit_2_and_no_run(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    code, _out, err = run_main(
        monkeypatch, capsys, "run", "-m", "qwen:qwen-plus", "-s", "sample", "--db", db_url
    )
    assert code == 2
    assert "DASHSCOPE_API_KEY" in err
    with Store.open(db_url) as store:
        assert store.list_runs() == []


def test_invalid_suite_exit_3(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "prompt": "x"}\n{"id": "b"}\n', encoding="utf-8")
    code, _out, err = run_main(monkeypatch, capsys, "run", "-m", "mock:echo", "-s", str(bad),
                               "--db", db_url)  # fmt: skip
    assert code == 3
    assert f"{bad}:2" in err
    with Store.open(db_url) as store:
        assert store.list_runs() == []


def test_bad_database_exit_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run_main(
        monkeypatch, capsys, "run", "-m", "mock:echo", "-s", "sample", "--db", "nosuchdb://x/y"
    )
    assert code == 5
    assert "No database driver" in err


def test_resume_unknown_run_exit_2(
    db_url: str,
    finished_run: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    typo = finished_run[:-1] + ("x" if finished_run[-1] != "x" else "y")
    code, _out, err = run_main(monkeypatch, capsys, "run", "--resume", typo, "--db", db_url)
    assert code == 2
    assert "Did you mean" in err
    assert finished_run in err


def test_run_stopped_by_the_endpoint_exits_4(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scripted_server: Callable[[Callable[[int, dict[str, Any]], Reply]], ScriptedServer],
) -> None:
    # cli/__init__.py: "4 model endpoint error that stopped the run".
    server = scripted_server(lambda _n, _b: (401, {"error": {"message": "bad key"}}, {}))
    suite = str(write_suite(tmp_path / "s.jsonl", 10))
    code, out, err = run_main(
        monkeypatch, capsys, "run", "-m", server.spec(), "-s", suite, "--db", db_url
    )
    assert "401" in out + err
    assert "--resume" in out + err
    assert code == 4


# -- runs list / show ----------------------------------------------------------------------


def test_runs_list(db_url: str, finished_run: str) -> None:
    result = invoke("runs", "list", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert finished_run in result.stdout
    assert "40/40" in result.stdout
    data = json.loads(invoke("runs", "list", "--json", "--db", db_url).stdout)
    assert len(data) == 1
    assert data[0]["id"] == finished_run
    assert data[0]["completed"] == 40
    assert "manifest" not in data[0]


def test_runs_list_empty(db_url: str) -> None:
    result = invoke("runs", "list", "--db", db_url)
    assert result.exit_code == 0
    assert "No runs yet" in result.stdout
    assert json.loads(invoke("runs", "list", "--json", "--db", db_url).stdout) == []


def test_runs_show_json(db_url: str, finished_run: str) -> None:
    result = invoke("runs", "show", finished_run, "--json", "--db", db_url)
    assert result.exit_code == 0, result.output
    data = _one_json(result.stdout)
    assert data["id"] == finished_run
    assert data["status"] == "completed"
    assert (data["completed"], data["n_items"]) == (40, 40)
    assert data["manifest"]["suite"]["name"] == "sample"
    assert "responses" not in data
    with_responses = _one_json(
        invoke(
            "runs", "show", finished_run[:15], "--json", "--responses", "3", "--db", db_url
        ).stdout
    )
    assert with_responses["id"] == finished_run
    rows = with_responses["responses"]
    assert len(rows) == 40  # with --json: all of them
    assert rows[0]["item_id"] == "mc-01"
    assert rows[0]["text"].startswith("中国的首都是哪座城市？\n\nA. 上海")  # echo: options shown


def test_runs_show_text(db_url: str, finished_run: str) -> None:
    result = invoke("runs", "show", finished_run, "--responses", "3", "--db", db_url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"run {finished_run}" in out
    assert "40/40 done" in out
    assert "mock:echo" in out
    shown = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(shown) == 3
    assert "mc-01" in shown[0]


def test_runs_show_unknown_id_exit_2_with_suggestion(
    db_url: str,
    finished_run: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    typo = finished_run[:-1] + ("x" if finished_run[-1] != "x" else "y")
    code, _out, err = run_main(monkeypatch, capsys, "runs", "show", typo, "--db", db_url)
    assert code == 2
    assert "Unknown run" in err
    assert f"Did you mean '{finished_run}'" in err


def test_runs_show_ambiguous_prefix_exit_6(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        code, *_ = run_main(
            monkeypatch, capsys, "run", "-m", "mock:echo", "-s", "sample", "--db", db_url
        )
        assert code == 0
    code, _out, err = run_main(monkeypatch, capsys, "runs", "show", "2", "--db", db_url)
    assert code == 6
    assert "ambiguous" in err


# -- models / suites / db ------------------------------------------------------------------


def test_models_presets_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    result = invoke("models", "presets", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["openai"]["key_env"] == "OPENAI_API_KEY"
    assert data["qwen"]["key_env"] == "DASHSCOPE_API_KEY"
    assert data["openai"]["key_set"] is True
    assert data["qwen"]["key_set"] is False
    assert "sk-test" not in result.stdout  # the key itself is never printed


def test_models_presets_table_wide() -> None:
    result = invoke("models", "presets")
    assert result.exit_code == 0, result.output
    for text in ("openai", "qwen", "OPENAI_API_KEY", "DASHSCOPE_API_KEY", "openai-compat:"):
        assert text in result.stdout


def test_suites_list() -> None:
    result = invoke("suites", "list")
    assert result.exit_code == 0
    assert "sample" in result.stdout
    assert "sample" in json.loads(invoke("suites", "list", "--json").stdout)


def test_suites_validate_valid(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "ok.jsonl", 3)
    result = invoke("suites", "validate", str(suite))
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout
    assert "3 items" in result.stdout
    data = _one_json(invoke("suites", "validate", str(suite), "--json").stdout)
    assert data["valid"] is True
    assert data["items"] == 3
    assert data["hash"].startswith("sha256:")
    assert invoke("suites", "validate", "sample").exit_code == 0


def test_suites_validate_malformed_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "prompt": "hi"}\n'
        "{not json\n"
        '{"id": "b"}\n'
        '{"id": "a", "prompt": "dup"}\n'
        '{"id": "c", "prompt": "x", "risk": "A9z"}\n',
        encoding="utf-8",
    )
    result = invoke("suites", "validate", str(bad))
    assert result.exit_code == 3
    err = result.stderr
    for line in (2, 3, 4, 5):
        assert f"{bad}:{line}:" in err, err
    assert f"{bad}:1:" not in err
    assert "4 problem(s)" in err
    assert result.stdout == ""
    data = _one_json(invoke("suites", "validate", str(bad), "--json").stdout)
    assert data["valid"] is False
    assert [p["line"] for p in data["problems"]] == [2, 3, 4, 5]


def test_suites_validate_missing_file(tmp_path: Path) -> None:
    result = invoke("suites", "validate", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 3
    assert "no such file" in result.stderr


def test_db_upgrade_and_info(db_url: str, tmp_path: Path) -> None:
    result = invoke("db", "upgrade", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert f"schema {SCHEMA_HEAD}" in result.stdout
    assert (tmp_path / "t.db").is_file()
    info = invoke("db", "info", "--db", db_url)
    assert info.exit_code == 0, info.output
    assert f"schema {SCHEMA_HEAD}" in info.stdout
    assert "t.db" in info.stdout


def test_db_info_on_an_empty_database_exit_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    code, _out, err = run_main(monkeypatch, capsys, "db", "info", "--db", url)
    assert code == 5
    assert "tianping db upgrade" in err


def test_tianping_db_env_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/from-env.db"
    monkeypatch.setenv("TIANPING_DB", url)
    result = invoke("run", "-m", "mock:echo", "-s", "sample", "--json")
    assert result.exit_code == 0, result.output
    run_id = _one_json(result.stdout)["run_id"]
    with Store.open(url) as store:
        assert [r.id for r in store.list_runs()] == [run_id]
    assert run_id in invoke("runs", "list").stdout
    assert (tmp_path / "from-env.db").is_file()
    # --db wins over the variable.
    other = f"sqlite:///{tmp_path}/explicit.db"
    result = invoke("runs", "list", "--json", "--db", other)
    assert json.loads(result.stdout) == []
