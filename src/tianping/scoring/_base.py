"""The scorer interface: one async method, a name and a version.

A scorer turns one (item, response) pair into a :class:`Graded` verdict with an
explanation a reviewer can read. Scorers never call the model under
assessment; a judge scorer may call another model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from ..core import Item, Response


@dataclass(frozen=True)
class Graded:
    """One scorer's verdict on one response.

    ``value``: 1.0 pass / 0.0 fail for binary scorers, or a metric in [0, 1]
    (BLEU, ROUGE ...); None when the response cannot be graded (say why in the
    explanation). ``label``: a short class such as ``correct``, ``refused``,
    ``complied``, ``B`` or a risk id. ``explanation``: what was compared and why
    it came out this way, in one or two sentences.
    """

    value: float | None
    label: str | None
    explanation: str


@runtime_checkable
class Scorer(Protocol):
    """Grades responses. ``name`` is the registry name; bump ``version`` when grading changes."""

    name: ClassVar[str]
    version: ClassVar[str]

    async def score(self, item: Item, response: Response) -> Graded: ...
