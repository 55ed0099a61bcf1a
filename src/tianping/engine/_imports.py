"""Responses gathered elsewhere (a vendor's logs, another tool's output) as a run.

Each JSONL line is an item (``id``, ``prompt`` or ``messages``, optional labels
such as ``risk``, ``lang``, ``refuse``, ``answer``) plus ``response``: the text
the model gave (``null`` for none). The result is a run every scorer grades
exactly as if Tianping had queried the model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from ..core import Item, ModelOutput, Problem, SuiteError
from ..store import ItemOutcome, RunRecord, Store, SuiteRecord
from ._keys import request_key
from ._runs import RunResult, _iso, _new_run_id
from ._scheduler import response_row


def _split(path: Path, items_out: Path) -> tuple[list[str | None], list[Problem]]:
    """Write the item part of each line to ``items_out`` (same line numbers) and
    return the responses in line order, with the problems found in them."""
    answers: list[str | None] = []
    problems: list[Problem] = []
    with open(path, "rb") as src, open(items_out, "wb") as out:
        for number, raw in enumerate(src, start=1):
            try:
                data = json.loads(raw) if raw.strip() else None
            except ValueError:
                data = None  # bad JSON or encoding: the suite loader reports it
            if not isinstance(data, dict):
                out.write(raw if raw.endswith(b"\n") else raw + b"\n")
                if data is not None or raw.strip():
                    answers.append(None)
                continue
            if "response" not in data:
                problems.append(Problem(str(path), number, "missing field 'response'"))
            answer = data.pop("response", None)
            data.pop("model", None)  # informational; the run records --model
            if answer is not None and not isinstance(answer, str):
                problems.append(Problem(str(path), number, "field 'response' should be text"))
                answer = None
            answers.append(answer)
            out.write(json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n")
    return answers, problems


def import_responses(
    path: str | os.PathLike[str], *, store: Store, model: str | None = None
) -> RunResult:
    """Create a completed run from a JSONL file of items with their responses."""
    from ..suites import load_suite

    source = Path(path)
    started = time.time()
    try:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
    except OSError as exc:
        raise SuiteError([Problem(str(source), 0, f"cannot read: {exc.strerror}")]) from exc
    with tempfile.TemporaryDirectory() as tmp:
        items_file = Path(tmp) / f"{source.stem}.jsonl"
        answers, problems = _split(source, items_file)
        try:
            suite = load_suite(items_file)
        except SuiteError as exc:
            problems = [
                Problem(str(source) if p.path == str(items_file) else p.path, p.line, p.message)
                for p in exc.problems
            ] + problems
        if problems:
            raise SuiteError(sorted(problems, key=lambda p: (p.path, p.line)))
        items = list(suite.iter_items())
        if not store.has_suite(suite.hash):
            store.save_suite(
                SuiteRecord(
                    hash=suite.hash,
                    name=source.stem,
                    version=digest[:12],
                    source=str(source.resolve()),
                    manifest=suite.manifest.model_dump(mode="json"),
                    n_items=suite.n_items,
                ),
                ((it.id, it.model_dump_json(exclude_defaults=True)) for it in items),
            )
    label = model or f"import:{source.name}"
    identity = f"import:sha256:{digest}"
    run_id = _new_run_id()
    manifest = {
        "imported_from": {"path": str(source.resolve()), "sha256": digest},
        "model": {"spec": label, "identity": identity, "adapter": "import"},
        "suite": {"name": source.stem, "hash": suite.hash, "items": len(items)},
        "started_at": _iso(started),
    }
    store.create_run(
        RunRecord(
            id=run_id,
            status="running",
            model_spec=label,
            suite_hash=suite.hash,
            suite_name=source.stem,
            n_items=len(items),
            manifest=manifest,
            created_at=started,
        )
    )
    outcomes = [
        _outcome(run_id, pos, item, text, identity)
        for pos, (item, text) in enumerate(zip(items, answers, strict=True))
    ]
    for i in range(0, len(outcomes), 1000):
        store.write_outcomes(outcomes[i : i + 1000])
    failed = sum(1 for o in outcomes if o.status == "failed")
    status = "completed" if not failed else "incomplete"
    manifest["finished_at"] = _iso(time.time())
    store.update_run(run_id, status=status, finished_at=time.time(), manifest=manifest)
    return RunResult(
        run_id=run_id,
        status=status,
        model=label,
        suite=source.stem,
        suite_hash=suite.hash,
        items=len(items),
        completed=len(items) - failed,
        failed=failed,
        requests_sent=0,
        cache_hits=0,
        retries=0,
        wall_s=round(time.time() - started, 3),
        db=store.url,
    )


def _outcome(run_id: str, pos: int, item: Item, text: str | None, identity: str) -> ItemOutcome:
    key = request_key(identity, item.chat(), {}, 0)
    if text is None:
        return ItemOutcome(run_id, item.id, pos, key, "failed", error="no response in the file")
    response = response_row(key, identity, ModelOutput(text=text), None)
    return ItemOutcome(run_id, item.id, pos, key, "done", response=response)
