"""The ``code`` scorer: code extraction, program assembly, grading, HumanEval, pass@k."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest

from tianping.core import ConfigError, Item, Response
from tianping.scoring import get_scorer
from tianping.scoring._code import CodeScorer, build_program, extract_code, pass_at_k

HUMANEVAL = Path("/work/shared/data/external/humaneval/HumanEval.jsonl.gz")

ADD_STUB = 'def add(a: int, b: int) -> int:\n    """Return a + b."""\n'
ADD_TESTS = (
    "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
)


def item(**fields: Any) -> Item:
    fields.setdefault("id", "t1")
    fields.setdefault("prompt", "Write add(a, b).")
    return Item(**fields)


def response(text: str | None, status: str = "done", error: str | None = None) -> Response:
    return Response(
        run_id="r1",
        item_id="t1",
        position=0,
        request_key="k",
        status=status,
        text=text,
        error=error,
    )


def grade(scorer: CodeScorer, it: Item, text: str | None) -> Any:
    return asyncio.run(scorer.score(it, response(text)))


ADD_ITEM = item(tests=ADD_TESTS, meta={"entry_point": "add"})


# -- extracting code -----------------------------------------------------------------------


def test_extract_takes_the_fenced_python_block() -> None:
    text = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\nDone."
    assert extract_code(text, "add") == "def add(a, b):\n    return a + b\n"


def test_extract_prefers_the_block_that_defines_the_entry_point() -> None:
    text = (
        "Usage:\n```py\nprint(add(1, 2))\n```\n"
        "Shell:\n```bash\npython add.py\n```\n"
        "Code:\n```\ndef add(a, b):\n    return a + b\n```\n"
    )
    assert extract_code(text, "add").startswith("def add(a, b):")
    assert extract_code(text) == "print(add(1, 2))\n"  # no entry point: the first block


def test_extract_ignores_other_languages_and_falls_back_to_the_text() -> None:
    assert extract_code("```js\nconsole.log(1)\n```", "add") == "```js\nconsole.log(1)\n```"
    bare = "def add(a, b):\n    return a + b\n"
    assert extract_code(bare, "add") == bare


def test_extract_keeps_a_cut_off_block() -> None:
    assert extract_code("```Python\ndef add(a, b):\n    return a +", "add") == (
        "def add(a, b):\n    return a +"
    )


def test_extract_keeps_the_indentation_of_a_body() -> None:
    assert extract_code("```python\n    return a + b\n```") == "    return a + b\n"


# -- assembling the program ------------------------------------------------------------------


def test_a_completion_continues_the_stub_and_check_is_called() -> None:
    it = item(
        prompt=ADD_STUB, tests=ADD_TESTS, meta={"entry_point": "add", "completion_mode": True}
    )
    program = build_program(it, "    return a + b\n")
    assert program.startswith(ADD_STUB + "    return a + b\n")
    assert program.rstrip().endswith("check(add)")
    compile(program, "p", "exec")


def test_the_stub_comes_from_prompt_prefix_in_chat_mode() -> None:
    it = item(tests=ADD_TESTS, meta={"entry_point": "add", "prompt_prefix": ADD_STUB.rstrip()})
    program = build_program(it, "def add(a, b):\n    return a + b\n")
    assert program.startswith(ADD_STUB.rstrip() + "\ndef add(a, b):")
    compile(program, "p", "exec")


def test_no_stub_without_an_entry_point_or_completion_mode() -> None:
    plain = item(tests="assert add(1, 1) == 2\n")
    assert build_program(plain, "def add(a, b): return a + b").startswith("def add")
    chat = item(prompt=ADD_STUB, tests=ADD_TESTS, meta={"entry_point": "add"})
    assert build_program(chat, "x = 1").startswith("x = 1")


def test_check_is_not_called_twice() -> None:
    it = item(tests=ADD_TESTS + "\ncheck(add)\n", meta={"entry_point": "add"})
    assert build_program(it, "").count("check(add)") == 1


# -- grading -------------------------------------------------------------------------------


def test_a_correct_answer_passes() -> None:
    text = "Sure!\n```python\ndef add(a, b):\n    return a + b\n```"
    graded = grade(CodeScorer(), ADD_ITEM, text)
    assert graded.value == 1.0
    assert graded.label == "passed"
    assert "The tests passed" in graded.explanation
    assert "Sandbox: user:" in graded.explanation


def test_a_wrong_answer_fails_with_the_assertion() -> None:
    graded = grade(CodeScorer(), ADD_ITEM, "```python\ndef add(a, b):\n    return a - b\n```")
    assert graded.value == 0.0
    assert graded.label == "failed"
    assert "The tests failed: AssertionError." in graded.explanation


def test_a_syntax_error_fails_with_the_message() -> None:
    graded = grade(CodeScorer(), ADD_ITEM, "```python\ndef add(a, b)\n    return a + b\n```")
    assert graded.value == 0.0
    assert graded.label == "failed"
    assert "SyntaxError" in graded.explanation


def test_an_endless_answer_times_out() -> None:
    graded = grade(
        CodeScorer(timeout=1), ADD_ITEM, "def add(a, b):\n    while True:\n        pass\n"
    )
    assert graded.value == 0.0
    assert graded.label == "timeout"
    assert graded.explanation.startswith("Timed out after 1 s.")


def test_a_crash_is_killed() -> None:
    crash = grade(CodeScorer(), ADD_ITEM, "import ctypes\nctypes.string_at(0)\n")
    assert (crash.value, crash.label) == (0.0, "killed")
    assert crash.explanation.startswith("Killed by SIGSEGV.")


def test_a_broken_sandbox_is_not_the_models_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    from tianping.scoring import _sandbox

    bad = dataclasses.replace(_sandbox._plan(), python="/nonexistent/python3")
    monkeypatch.setattr(_sandbox, "_plan_cache", bad)
    graded = grade(CodeScorer(), ADD_ITEM, "def add(a, b): return a + b")
    assert (graded.value, graded.label) == (None, "error")
    assert "The sandbox could not run the code: cannot start /nonexistent/python3" in (
        graded.explanation
    )


def test_no_text_is_not_graded() -> None:
    graded = asyncio.run(CodeScorer().score(ADD_ITEM, response(None, "failed", "HTTP 500")))
    assert graded.value is None
    assert graded.label == "no_response"
    assert "HTTP 500" in graded.explanation


def test_items_the_scorer_cannot_use_are_errors() -> None:
    answer = "def add(a, b): return a + b"
    with pytest.raises(ConfigError, match="needs tests"):
        grade(CodeScorer(), item(), answer)
    with pytest.raises(ConfigError, match="needs an entry_point"):
        grade(CodeScorer(), item(tests=ADD_TESTS), answer)
    injected = item(tests=ADD_TESTS, meta={"entry_point": "add); import os; (x"})
    with pytest.raises(ConfigError, match="not a Python name"):
        grade(CodeScorer(), injected, answer)
    with pytest.raises(ConfigError, match="prompt_prefix"):
        build_program(item(tests=ADD_TESTS, meta={"entry_point": "add", "prompt_prefix": 3}), "")


def test_the_registry_builds_it_and_checks_options() -> None:
    scorer = get_scorer("code", timeout=5, memory_mb=256)
    assert isinstance(scorer, CodeScorer)
    assert (scorer.name, scorer.version, scorer.timeout) == ("code", "1", 5.0)
    with pytest.raises(ConfigError, match="timeout"):
        get_scorer("code", timeout=0)
    with pytest.raises(ConfigError, match="Bad options"):
        get_scorer("code", bogus=1)


def test_calls_run_concurrently() -> None:
    scorer = CodeScorer()
    slow = "import time\ntime.sleep(1)\ndef add(a, b):\n    return a + b\n"

    async def both() -> list[Any]:
        return await asyncio.gather(*(scorer.score(ADD_ITEM, response(slow)) for _ in range(2)))

    start = time.monotonic()
    results = asyncio.run(both())
    assert [g.value for g in results] == [1.0, 1.0]
    assert time.monotonic() - start < 1.9


# -- HumanEval -----------------------------------------------------------------------------

BROKEN = "    raise NotImplementedError('deliberately broken')\n"


def humaneval() -> list[dict[str, str]]:
    if not HUMANEVAL.is_file():
        pytest.skip(f"{HUMANEVAL} not found")
    with gzip.open(HUMANEVAL, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_every_humaneval_solution_passes_and_every_broken_one_fails() -> None:
    problems = humaneval()
    assert len(problems) == 164
    scorer = CodeScorer()

    async def run_all() -> list[tuple[str, str, Any]]:
        gate = asyncio.Semaphore(2)  # two cores here

        async def one(p: dict[str, str], kind: str, text: str) -> tuple[str, str, Any]:
            it = Item(
                id=p["task_id"],
                prompt=p["prompt"],
                tests=p["test"],
                meta={"entry_point": p["entry_point"], "completion_mode": True},
            )
            async with gate:
                return p["task_id"], kind, await scorer.score(it, response(text))

        jobs = [one(p, "canonical", p["canonical_solution"]) for p in problems]
        jobs += [one(p, "broken", BROKEN) for p in problems]
        return await asyncio.gather(*jobs)

    start = time.monotonic()
    results = asyncio.run(run_all())
    elapsed = time.monotonic() - start
    expected = {
        "canonical": (1.0, "passed", "The tests passed"),
        "broken": (0.0, "failed", "The tests failed: NotImplementedError: deliberately broken."),
    }
    wrong = [
        (task, kind, g.label, g.explanation[:200])
        for task, kind, g in results
        if (g.value, g.label) != expected[kind][:2]
        or not g.explanation.startswith(expected[kind][2])
    ]
    assert wrong == []
    assert elapsed < 60


def test_a_chat_style_humaneval_answer_passes() -> None:
    p = humaneval()[0]
    it = Item(
        id=p["task_id"],
        prompt="Complete this function:\n" + p["prompt"],
        tests=p["test"],
        meta={"entry_point": p["entry_point"], "prompt_prefix": p["prompt"]},
    )
    answer = f"Here is the function:\n\n```python\n{p['prompt']}{p['canonical_solution']}```\n"
    assert grade(CodeScorer(), it, answer).value == 1.0


# -- pass@k --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (10, 3, 1, 0.3),
        (5, 0, 3, 0.0),
        (5, 4, 2, 1.0),
        (10, 2, 5, 1 - 56 / 252),  # 1 - C(8,5)/C(10,5) = 7/9
        (200, 13, 10, 1 - math.comb(187, 10) / math.comb(200, 10)),
        (3, 3, 3, 1.0),
    ],
)
def test_pass_at_k(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_rejects_impossible_counts() -> None:
    for n, c, k in [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6)]:
        with pytest.raises(ValueError, match="pass_at_k"):
            pass_at_k(n, c, k)
