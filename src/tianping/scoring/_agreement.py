"""How far an automatic scorer agrees with human labels: accuracy and Cohen's kappa.

:func:`agreement` compares two label sequences; :func:`calibrate` compares a stored
run's scores from one scorer with a JSONL file of human labels
(``{"item_id": ..., "label": ...}`` per line).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core import ConfigError
from ..store import Store

__all__ = ["Agreement", "agreement", "calibrate", "read_labels"]


@dataclass(frozen=True)
class Agreement:
    """Agreement over ``n`` items that both raters labelled.

    ``accuracy``: the share of items with the same label. ``kappa``: Cohen's kappa,
    (p_o - p_e) / (1 - p_e), agreement corrected for chance. ``confusion``: counts by
    human label, then automatic label. ``skipped``: items left out because one side
    had no label (None).
    """

    n: int
    accuracy: float
    kappa: float
    confusion: dict[str, dict[str, int]]
    skipped: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 6),
            "kappa": round(self.kappa, 6),
            "confusion": self.confusion,
            "skipped": self.skipped,
        }


def agreement(auto: Sequence[str | None], human: Sequence[str | None]) -> Agreement:
    """Accuracy, Cohen's kappa and the confusion table of ``auto`` against ``human``.

    Position i of both sequences is the same item; items where either label is None are
    skipped (and counted). Degenerate case: when chance agreement p_e is 1 — both raters
    gave every item one and the same label — kappa's formula is 0/0; it is defined here
    as 1.0, since the raters agree perfectly. (Two raters each using one label but
    different ones have p_e = 0 and p_o = 0, so kappa is 0.0 by the formula.) Raises
    ValueError when the lengths differ or no item has both labels.
    """
    if len(auto) != len(human):
        raise ValueError(f"{len(auto)} automatic labels but {len(human)} human labels")
    pairs = [(a, h) for a, h in zip(auto, human, strict=True) if a is not None and h is not None]
    if not pairs:
        raise ValueError("no item has both an automatic and a human label")
    n = len(pairs)
    p_o = sum(a == h for a, h in pairs) / n
    auto_counts = Counter(a for a, _ in pairs)
    human_counts = Counter(h for _, h in pairs)
    p_e = sum(auto_counts[k] * human_counts[k] for k in human_counts) / (n * n)
    kappa = 1.0 if p_e >= 1.0 - 1e-12 else (p_o - p_e) / (1.0 - p_e)
    confusion: dict[str, dict[str, int]] = {}
    for a, h in sorted(pairs):
        row = confusion.setdefault(h, {})
        row[a] = row.get(a, 0) + 1
    return Agreement(n, p_o, kappa, dict(sorted(confusion.items())), len(auto) - n)


def read_labels(path: str | Path) -> dict[str, str | None]:
    """Human labels from JSONL: ``{"item_id": str, "label": str | null}`` per line.

    Every problem (bad JSON, missing fields, duplicate ids) is reported at once, with
    line numbers, as a ConfigError.
    """
    source = Path(path)
    try:
        lines = source.read_text("utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"Cannot read human labels {source}: {exc.strerror}") from exc
    labels: dict[str, str | None] = {}
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: invalid JSON ({exc.msg})")
            continue
        item_id = row.get("item_id") if isinstance(row, dict) else None
        if isinstance(item_id, int) and not isinstance(item_id, bool):
            item_id = str(item_id)
        if not isinstance(item_id, str) or not item_id:
            problems.append(f"line {number}: needs an 'item_id' (text)")
            continue
        if "label" not in row or not (row["label"] is None or isinstance(row["label"], str)):
            problems.append(f"line {number}: needs a 'label' (text, or null when undecided)")
            continue
        if item_id in labels:
            problems.append(f"line {number}: duplicate item_id {item_id!r}")
            continue
        label = row["label"]
        labels[item_id] = label.strip() if isinstance(label, str) else None
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ConfigError(f"{len(problems)} problem(s) in human labels {source}:\n  {shown}{more}")
    if not labels:
        raise ConfigError(f"Human labels {source} hold no labels.")
    return labels


def calibrate(store: Store, run_id: str, scorer: str, human_labels_path: str | Path) -> Agreement:
    """Agreement of ``scorer``'s stored labels on ``run_id`` with human labels.

    Every labelled item must have a score from that scorer in the run (score the run
    first); the run's other items are not compared. Labels compare exactly, so use the
    scorer's own label words (``refused``, ``complied``, a risk id ...).
    """
    humans = read_labels(human_labels_path)
    run = store.get_run(run_id)
    scored = {s.item_id: s.label for s in store.iter_scores(run.id, scorer=scorer)}
    if not scored:
        raise ConfigError(
            f"Run {run.id} has no {scorer!r} scores. Score it first: "
            f"tianping score {run.id} --scorer {scorer}"
        )
    missing = [item_id for item_id in humans if item_id not in scored]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise ConfigError(
            f"{len(missing)} labelled item(s) have no {scorer!r} score in run {run.id}: "
            f"{shown}. Is this the right run and labels file?"
        )
    return agreement([scored[item_id] for item_id in humans], list(humans.values()))
