"""The public Python API: ``tianping.__all__``, ``tianping.run``/``resume``, and lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tianping

EXPECTED = {
    "AssessOptions",
    "AssessmentOutcome",
    "ConfigError",
    "EngineConfig",
    "ExecutorSpec",
    "GenerationParams",
    "Item",
    "ModelError",
    "RunError",
    "RunResult",
    "StoreError",
    "Suite",
    "SuiteError",
    "TianpingError",
    "__version__",
    "assess",
    "import_run",
    "load_suite",
    "resume",
    "run",
    "score",
}


def test_all_is_exactly_the_public_names() -> None:
    assert set(tianping.__all__) == EXPECTED
    assert len(tianping.__all__) == len(EXPECTED)  # no duplicates


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(tianping, name) is not None


def test_public_names_are_the_real_objects() -> None:
    from tianping.core import ConfigError, Item, TianpingError
    from tianping.engine import EngineConfig, RunResult
    from tianping.suites import load_suite

    assert tianping.ConfigError is ConfigError
    assert tianping.TianpingError is TianpingError
    assert tianping.Item is Item
    assert tianping.EngineConfig is EngineConfig
    assert tianping.RunResult is RunResult
    assert tianping.load_suite is load_suite
    assert issubclass(tianping.StoreError, tianping.TianpingError)
    assert isinstance(tianping.__version__, str)
    assert tianping.__version__


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = tianping.nope  # type: ignore[attr-defined]
    assert not hasattr(tianping, "Store")


def test_run_and_resume(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/api.db"
    result = tianping.run(model="mock:echo", suite="sample", db=url)
    assert isinstance(result, tianping.RunResult)
    assert result.status == "completed"
    assert (result.items, result.completed, result.failed, result.requests_sent) == (40, 40, 0, 40)
    assert result.db == url
    again = tianping.resume(result.run_id, db=url)
    assert isinstance(again, tianping.RunResult)
    assert (again.run_id, again.status, again.requests_sent) == (result.run_id, "completed", 0)


def test_run_with_params_and_config(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/api.db"
    result = tianping.run(
        "mock:echo",
        "sample",
        db=url,
        params=tianping.GenerationParams(temperature=0.3, max_tokens=2),
        config=tianping.EngineConfig(concurrency=2),
    )
    assert result.completed == 40
    from tianping.store import Store

    with Store.open(url) as store:
        man = store.get_run(result.run_id).manifest
        assert man["params"]["sent"] == {"temperature": 0.3, "max_tokens": 2}
        assert man["engine"]["concurrency"] == 2
        # max_tokens=2: the echo is cut to two words.
        assert all(
            len((r.text or "").split(" ")) <= 2 for r in store.iter_run_responses(result.run_id)
        )


def test_run_bad_input_raises_tianping_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/api.db"
    with pytest.raises(tianping.ConfigError):
        tianping.run("no-colon", "sample", db=url)
    with pytest.raises(tianping.SuiteError):
        tianping.run("mock:echo", str(tmp_path / "missing.jsonl"), db=url)
    with pytest.raises(tianping.StoreError):
        tianping.run("mock:echo", "sample", db="nosuchdb://x")


def test_load_suite_public() -> None:
    suite = tianping.load_suite("sample")
    assert isinstance(suite, tianping.Suite)
    assert suite.n_items == 40
    assert suite.name == "sample"


def _modules_after(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_is_light() -> None:
    """``import tianping`` and ``tianping.cli`` load neither pydantic nor SQLAlchemy."""
    code = (
        "import tianping, tianping.cli, sys; "
        "print('sqlalchemy' in sys.modules, 'pydantic' in sys.modules, 'alembic' in sys.modules)"
    )
    assert _modules_after(code) == "False False False"


def test_cli_help_loads_neither_pydantic_nor_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['tianping', '--help']\n"
        "from tianping.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('sqlalchemy' in sys.modules, 'pydantic' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == "False False"
    assert "run" in done.stdout


def test_errors_import_without_pydantic() -> None:
    code = (
        "import sys; from tianping.core import ConfigError, RISKS; "
        "print('pydantic' in sys.modules, len(RISKS))"
    )
    assert _modules_after(code) == "False 31"
