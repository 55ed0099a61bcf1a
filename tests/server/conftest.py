"""Fixtures for the web app: a database holding one real assessment, users of every role.

* ``assessed`` (session): banks, one ``tc260-003`` assessment of a mock model (reports,
  attestation, catalog record) in a SQLite file, made once; tests get a copy.
* ``app``: ``create_app`` over a fresh copy of that database.
* ``client``: a ``TestClient`` of ``app`` (lifespan run, store closed at the end).
* ``people``: one user per role, each with an API token (``people["viewer"].headers``).

Helpers (``login``, ``Person`` ...) live in ``_webtest.py``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _webtest import PASSWORD, ROLES, Assessed, Person, make_banks
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tianping.store import Store


@pytest.fixture(scope="session")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> Assessed:
    from tianping.assess import AssessOptions, assess
    from tianping.catalog import sync_catalog

    root = tmp_path_factory.mktemp("assessed")
    banks = make_banks(root / "banks")
    model = f"mock:guarded?suite={banks['should-refuse']}"
    options = AssessOptions(
        banks={r: str(p) for r, p in banks.items() if r != "keywords"},
        keywords=str(banks["keywords"]),
        out=str(root / "out"),
        formats=("json", "md", "html", "filing"),
        key_dir=str(root / "keys"),
        show_progress=False,
    )
    with Store.open(f"sqlite:///{root}/t.db") as store:
        result = assess(model, "tc260-003", store=store, options=options).result
        sync_catalog(store)
    return Assessed(root / "t.db", result.assessment_id, model, root / "out", root / "keys")


@pytest.fixture
def app_db(assessed: Assessed, tmp_path: Path) -> str:
    """A URL of a private copy of the assessed database."""
    target = tmp_path / "app.db"
    shutil.copyfile(assessed.db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(app_db: str) -> FastAPI:
    from tianping.server import create_app

    return create_app(app_db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def people(app: FastAPI) -> dict[str, Person]:
    """One user of each role (named after it), with a password and an API token."""
    from tianping.server._auth import create_token, hash_password

    store: Store = app.state.store
    out = {}
    hashed = hash_password(PASSWORD)  # one hash for all: argon2id is slow on purpose
    for role in ROLES:
        user = store.add_user(role, role, hashed)
        out[role] = Person(user, create_token(store, user, "tests")[1], PASSWORD)
    return out


# -- keeping ``from conftest import ...`` working elsewhere -----------------------------------
#
# pytest imports every conftest.py as the module ``conftest``, the later replacing the
# earlier in sys.modules. Test modules collected after this folder (tests/standards,
# tests/suites ...) that ``from conftest import`` the top-level helpers would get this
# file instead; so it carries those helpers too (not the fixtures or hooks: pytest
# already has those from the top-level file).


def _reexport_top_level_helpers() -> None:
    import importlib.util

    from _pytest.fixtures import FixtureFunctionDefinition

    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("_tianping_tests_conftest", path)
    assert spec is not None
    assert spec.loader is not None
    top = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = top  # dataclasses look their module up while being made
    spec.loader.exec_module(top)
    here = globals()
    for name, value in vars(top).items():
        if name.startswith(("_", "pytest_")) or name in here:
            continue
        if isinstance(value, FixtureFunctionDefinition):
            continue
        here[name] = value


_reexport_top_level_helpers()
