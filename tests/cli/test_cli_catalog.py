"""``tianping catalog add|list|show|set|sync`` and ``tianping models fingerprint``."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from tianping.cli import app, main
from tianping.store import AssessmentRecord, Store

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_and_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANPING_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def as_json(*args: str) -> Any:
    lines = [line for line in ok(*args, "--json").splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return json.loads(lines[0])


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """``tianping ARGS`` through the console entry point, which maps errors to exit codes."""
    monkeypatch.setattr(sys, "argv", ["tianping", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def _assess(db: str, spec: str, profile: str, conclusion: str, created: float) -> str:
    ident = f"cli{int(created * 1000):013d}"
    with Store.open(db) as store:
        store.create_assessment(
            AssessmentRecord(
                id=ident,
                status="completed",
                model_spec=spec,
                profile=profile,
                profile_hash="sha256:x",
                params={},
                created_at=created,
                conclusion=conclusion,
                finished_at=created + 1,
            )
        )
    return ident


def test_add_list_show_and_set(db_url: str) -> None:
    filing = ["--filing-status", "filed", "--filing-number", "Beijing-TongYiQianWen-20230725"]
    out = ok(
        "catalog",
        "add",
        "qwen:qwen-plus",
        "--vendor",
        "阿里云",
        "--name",
        "通义千问 [Plus]",
        "--version",
        "2025-09",
        *filing,
        "--release-date",
        "2025-09-11",
        "--db",
        db_url,
    )
    assert "qwen:qwen-plus: in the catalog as 阿里云 通义千问 [Plus] 2025-09" in out
    ok(
        "catalog",
        "add",
        "deepseek:deepseek-chat",
        "--vendor",
        "DeepSeek",
        "--name",
        "DeepSeek",
        "--version",
        "V3.2",
        "--db",
        db_url,
    )
    table = ok("catalog", "list", "--db", db_url)
    assert "通义千问 [Plus]" in table  # user text is not read as Rich markup
    assert "filed Beijing-TongYiQianWen-20230725" in table
    listed = as_json("catalog", "list", "--vendor", "deepseek", "--db", db_url)
    assert [m["spec"] for m in listed["models"]] == ["deepseek:deepseek-chat"]
    assert listed["next_cursor"] is None

    endpoint = "https://dashscope.aliyuncs.com/compatible-mode/v1"
    ok(
        "catalog",
        "set",
        "qwen:qwen-plus",
        "--version",
        "2025-12",
        "--endpoint",
        endpoint,
        "--db",
        db_url,
    )
    shown = as_json("catalog", "show", "qwen:qwen-plus", "--db", db_url)
    assert shown["version"] == "2025-12"
    assert shown["endpoint"].startswith("https://dashscope")
    assert shown["verdicts"] == {}
    assert shown["fingerprints"] == []
    ok("catalog", "set", "qwen:qwen-plus", "--endpoint", "", "--db", db_url)
    assert as_json("catalog", "show", "qwen:qwen-plus", "--db", db_url)["endpoint"] is None
    text = ok("catalog", "show", "qwen:qwen-plus", "--db", db_url)
    assert "Not assessed yet." in text
    assert "No fingerprints yet." in text


def test_fingerprint_says_when_the_model_changed_and_what_is_stale(db_url: str) -> None:
    spec = "mock:fixed?text=甲"
    first = ok("models", "fingerprint", spec, "--db", db_url)
    assert "first fingerprint" in first
    assert "reports mock-fixed" in first
    again = as_json("models", "fingerprint", spec, "--db", db_url)
    assert again["changed"] is False
    assert again["comparison"]["compared"] == 12
    assert len(again["fingerprint"]["answers"]) == 12

    import time

    assessed = _assess(db_url, spec, "tc260-basic", "conforms", time.time())
    time.sleep(0.01)
    changed = ok("models", "fingerprint", spec, "--via", "mock:fixed?text=乙", "--db", db_url)
    assert "MODEL CHANGED: 12 of 12 answers differ" in changed
    assert "These verdicts are now stale" in changed
    assert f"tc260-basic: conforms (assessment {assessed})" in changed
    assert "tianping assess --model 'mock:fixed?text=甲' --profile tc260-basic" in changed

    shown = ok("catalog", "show", spec, "--db", db_url)
    assert "STALE" in shown
    assert "CHANGED" in shown
    assert "first" in shown
    listed = as_json("catalog", "list", "--stale", "--db", db_url)
    assert [m["spec"] for m in listed["models"]] == [spec]
    assert listed["models"][0]["verdicts"]["tc260-basic"]["stale"] is True
    assert as_json("catalog", "list", "--current", "--db", db_url)["models"] == []
    assert "(STALE)" in ok("catalog", "list", "--db", db_url)


def test_fingerprint_tolerance_option(db_url: str) -> None:
    ok("models", "fingerprint", "mock:echo", "--db", db_url)
    via = "mock:echo?model=renamed"
    out = as_json(
        "models", "fingerprint", "mock:echo", "--via", via, "--tolerance", "0.5", "--db", db_url
    )
    assert out["changed"] is True  # a new name is a change whatever the tolerance
    assert out["comparison"]["tolerance"] == 0.5
    bad = invoke("models", "fingerprint", "mock:echo", "--tolerance", "1.5", "--db", db_url)
    assert bad.exit_code == 2


def test_list_filters_and_pages(db_url: str) -> None:
    for i in range(7):
        ok(
            "catalog",
            "add",
            f"mock:m{i}",
            *f"--vendor V --name n{i} --version 1".split(),
            "--db",
            db_url,
        )
    _assess(db_url, "mock:m1", "p", "conforms", 1_790_000_000.0)
    _assess(db_url, "mock:m2", "p", "does_not_conform", 1_790_100_000.0)
    assert [
        m["spec"]
        for m in as_json("catalog", "list", "--verdict", "conforms", "--db", db_url)["models"]
    ] == ["mock:m1"]
    since = as_json("catalog", "list", "--since", "2026-09-22", "--db", db_url)
    assert [m["spec"] for m in since["models"]] == ["mock:m2"]
    page = as_json("catalog", "list", "--limit", "3", "--db", db_url)
    seen = [m["spec"] for m in page["models"]]
    text = ok("catalog", "list", "--limit", "3", "--db", db_url)
    assert f"More: --cursor {page['next_cursor']}" in text
    while page["next_cursor"]:
        page = as_json(
            "catalog", "list", "--limit", "3", "--cursor", page["next_cursor"], "--db", db_url
        )
        seen += [m["spec"] for m in page["models"]]
    assert seen == [f"mock:m{i}" for i in range(7)]


def test_sync_adds_assessed_models(db_url: str) -> None:
    _assess(db_url, "mock:refuse-all", "p", "conforms", 1_790_000_000.0)
    assert as_json("catalog", "sync", "--db", db_url) == {"added": ["mock:refuse-all"]}
    assert "Added 0 model(s)" in ok("catalog", "sync", "--db", db_url)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("catalog", "show", "mock:nothing"), 2, "Unknown catalog model 'mock:nothing'"),
        (
            (
                "catalog",
                "add",
                "mock:echo",
                "--vendor",
                "V",
                "--name",
                "N",
                "--version",
                "1",
                "--filing-status",
                "x",
            ),
            2,
            "Unknown filing status 'x'",
        ),
        (("catalog", "set", "mock:echo"), 2, "Nothing to change"),
        (("catalog", "list", "--verdict", "passes"), 2, "Unknown verdict 'passes'"),
        (("catalog", "list", "--cursor", "garbage"), 2, "Invalid cursor"),
        (("models", "fingerprint", "nonsense"), 2, "not PREFIX:MODEL"),
        (
            ("models", "fingerprint", "mock:echo?error_rate=1&error_kind=500"),
            4,
            "Fingerprint failed",
        ),
    ],
)
def test_errors_are_messages_with_exit_codes(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    got, out, err = run_main(monkeypatch, capsys, *args, "--db", db_url)
    assert got == code, (out, err)
    assert message in err
    assert "Traceback" not in err


def test_the_command_defaults_are_the_library_defaults() -> None:
    # The CLI spells them out so that `tianping --help` need not import the catalog.
    import inspect

    from tianping.catalog import DEFAULT_PROBE_SET, DEFAULT_TOLERANCE
    from tianping.cli._catalog import fingerprint

    params = inspect.signature(fingerprint).parameters
    assert params["probe_set"].default == DEFAULT_PROBE_SET
    assert params["tolerance"].default == DEFAULT_TOLERANCE
