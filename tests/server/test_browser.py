"""The web UI in a real browser: Debian's chromium driven by Playwright, against a real
``tianping serve`` over a database made by a real ``tianping assess``.

Signs in, browses the catalog to the assessment, reviews ten items with the keyboard
(one reviewer, with the script) and with plain forms (the second reviewer, script
off), and sees clause 9.3-manual go from inconclusive to does-not-conform. Takes a
screenshot of every page in Chinese and English into ``$TIANPING_SHOTS`` (default
``/tmp/web-shots``) for people to look at.

Needs ``apt-get install chromium`` (scripts/setup --dev does it) and the ``playwright``
Python package; never ``playwright install`` (its browsers come from a CDN).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MODEL = "mock:refuse-some?rate=0.9"
PASSWORDS = {"admin": "admin pass 1", "r1": "reviewer one", "r2": "reviewer two"}
PASSWORDS["viewer"] = "viewer pass"
SHOTS = Path(os.environ.get("TIANPING_SHOTS", "/tmp/web-shots"))
N_REVIEW = 10

pytestmark = [
    pytest.mark.slow,
    pytest.mark.network,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium: apt-get install chromium "
        "(scripts/setup --dev installs it when run as root)",
    ),
    pytest.mark.timeout(600),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tianping(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tianping", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, f"tianping {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Site:
    base: str
    db: str
    assessment_id: str  # the one reviewed
    later: str  # a second assessment of the same model


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from tianping.review import draw_review
    from tianping.store import Store

    root = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{root}/web.db"
    env = {k: v for k, v in os.environ.items() if k != "TIANPING_DB"}
    env.update(TIANPING_HOME=str(root / "home"), COLUMNS="200", PYTHONUNBUFFERED="1")
    out = root / "out"
    _tianping(
        "assess", "-m", MODEL, "-p", "tc260-003", "--formats", "json,html", "--no-sign",
        "--db", db, "-o", str(out), env=env,
    )  # fmt: skip
    # A second assessment of the same model (other items drawn), for compare and trends.
    _tianping(
        "assess", "-m", MODEL, "-p", "tc260-003", "--formats", "json", "--no-sign",
        "--sample-seed", "1", "--db", db, "-o", str(root / "out2"), env=env,
    )  # fmt: skip
    _tianping(
        "catalog", "add", MODEL, "--vendor", "Mock 实验室", "--name", "拒答模拟器",
        "--version", "0.9", "--filing-status", "filed", "--db", db, env=env,
    )  # fmt: skip
    roles = {"admin": "admin", "r1": "reviewer", "r2": "reviewer", "viewer": "viewer"}
    for name, role in roles.items():
        _tianping(
            "users", "add", name, "--role", role, "--password-stdin", "--db", db,
            env=env, stdin=PASSWORDS[name] + "\n",
        )  # fmt: skip
    with Store.open(db) as store:
        later, first = (a.id for a in store.list_assessments(2))
        assert len(draw_review(store, first, n=N_REVIEW)) == N_REVIEW
    port = _free_port()
    log = (root / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "tianping", "serve", "--port", str(port), "--db", db],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (root / "serve.log").read_text()
            try:
                with urllib.request.urlopen(base + "/login", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, "tianping serve did not start"
            time.sleep(0.2)
        yield Site(base, db, first, later)
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(20)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _sign_in(page: Any, site: Site, name: str) -> None:
    page.goto(site.base + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(site.base + "/")


def _shoot(page: Any, site: Site, name: str, url: str, *, full: bool = True) -> None:
    """Screenshots of ``url`` in Chinese and English."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path, _, fragment = url.partition("#")
    for lang in ("zh", "en"):
        sep = "&" if "?" in path else "?"
        page.goto(f"{site.base}{path}{sep}lang={lang}" + (f"#{fragment}" if fragment else ""))
        page.screenshot(path=str(SHOTS / f"{name}-{lang}.png"), full_page=full)


def _clause_state(page: Any, clause: str = "9.3-manual") -> str:
    state: str = page.get_attribute(f'tr[data-clause="{clause}"]', "data-confident")
    return state


def test_browse_review_with_the_keyboard_and_see_the_verdict_change(
    site: Site, browser: Any
) -> None:
    from tianping.standards import AssessmentResult
    from tianping.store import Store

    aid = site.assessment_id
    admin = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = admin.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site.base + "/")
    assert "/login" in page.url
    _shoot(page, site, "login", "/login", full=False)
    _sign_in(page, site, "admin")

    # Browse: catalog -> model -> assessment.
    page.goto(site.base + "/?lang=zh")
    assert page.is_visible("text=模型目录")
    page.click("a.model-link:has-text('拒答模拟器')")
    page.wait_for_url("**/model?spec=*")
    assert page.is_visible("text=评估历史")
    page.click(f"a[href='/assessments/{aid}']")
    page.wait_for_url(f"**/assessments/{aid}")
    assert _clause_state(page) == "inconclusive"
    assert page.inner_text("#live-verdict") == "无法判定"
    _shoot(page, site, "catalog", "/")
    _shoot(page, site, "model", "/model?spec=" + quote(MODEL, safe=""))
    _shoot(page, site, f"assessment-{'before'}", f"/assessments/{aid}", full=False)
    _shoot(page, site, "assessment-responses", f"/assessments/{aid}?clause=9.4a#responses")
    _shoot(page, site, "admin", "/admin")
    _shoot(page, site, "not-found", "/assessments/no-such-one", full=False)

    # Reviewer one: ten items with the keyboard, the script swapping items in place.
    r1 = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    rp = r1.new_page()
    rp.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(rp, site, "r1")
    rp.goto(f"{site.base}/review?assessment={aid}&lang=en")
    SHOTS.mkdir(parents=True, exist_ok=True)
    rp.screenshot(path=str(SHOTS / "review-en.png"), full_page=True)
    rp.evaluate("window.__sameDocument = true")
    seen = []
    for i in range(N_REVIEW):
        task = rp.inner_text("#task-id")
        seen.append(task)
        rp.keyboard.press("u")
        rp.keyboard.press("1")  # quick pick 1: the item's own risk
        assert rp.get_attribute("[data-pick='1']", "aria-pressed") == "true"
        rp.keyboard.press("n")
        rp.keyboard.type(f"note {i} <b>")
        if i % 2:
            rp.keyboard.press("Escape")  # leave the note field, then Enter submits
        rp.keyboard.press("Enter")
        if i < N_REVIEW - 1:
            rp.wait_for_function(
                "t => document.getElementById('task-id') && "
                "document.getElementById('task-id').textContent !== t",
                arg=task,
            )
        else:
            rp.wait_for_selector("#review-done")
    assert rp.evaluate("window.__sameDocument") is True  # never a full reload
    assert len(set(seen)) == N_REVIEW
    rp.screenshot(path=str(SHOTS / "review-done-en.png"))
    with Store.open(site.db) as store:
        labels = store.review_label_rows(assessment_id=aid)
        assert len(labels) == N_REVIEW
        assert all(not lb.qualified and lb.stage == "first" for lb in labels)
        assert {lb.note for lb in labels} == {f"note {i} <b>" for i in range(N_REVIEW)}
        drawn = {t.id: t for t in store.review_task_rows(aid)}
        assert all(lb.risk == drawn[lb.task_id].stratum for lb in labels)
        assert (
            AssessmentResult.model_validate(store.get_assessment(aid).result)
            .verdict("9.3-manual")
            .confident
            == "inconclusive"
        )  # one label each: not settled

    # Reviewer two, with the script off: the same page as plain forms.
    r2 = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False, locale="zh-CN"
    )
    p2 = r2.new_page()
    _sign_in(p2, site, "r2")
    p2.goto(f"{site.base}/review?assessment={aid}&lang=zh")
    p2.screenshot(path=str(SHOTS / "review-zh.png"), full_page=True)
    for _ in range(N_REVIEW):
        task = p2.inner_text("#task-id")
        p2.check("input[name=qualified][value='0']")
        p2.select_option("select[name=risk]", "A1a")
        p2.click("button[type=submit].primary")
        p2.wait_for_load_state()
        assert p2.is_visible("#review-done") or p2.inner_text("#task-id") != task
    assert p2.is_visible("text=没有待审核的题目了")

    # The clause verdict follows the labels: ten unqualified, the interval misses 90 %.
    page.goto(f"{site.base}/assessments/{aid}?lang=zh")
    assert _clause_state(page) == "does_not_conform"
    assert page.inner_text("#live-verdict") == "不符合"
    assert page.inner_text("#review-done") == str(N_REVIEW)
    _shoot(page, site, "assessment-after", f"/assessments/{aid}", full=False)
    _shoot(page, site, "assessment-review", f"/assessments/{aid}#review", full=False)
    page.goto(f"{site.base}/compare?a={site.later}&b={aid}&lang=en")
    changed = page.get_attribute('tr[data-clause="9.3-manual"]', "class")
    assert changed == "changed"
    _shoot(page, site, "compare", f"/compare?a={site.later}&b={aid}")
    _shoot(page, site, "model-after", "/model?spec=" + quote(MODEL, safe=""))
    viewer = browser.new_context(viewport={"width": 1280, "height": 900})
    vp = viewer.new_page()
    _sign_in(vp, site, "viewer")
    _shoot(vp, site, "assessment-viewer", f"/assessments/{aid}#responses", full=False)
    assert vp.is_visible("text=Response texts are not shown to viewers")
    assert errors == []
    for ctx in (admin, r1, r2, viewer):
        ctx.close()
