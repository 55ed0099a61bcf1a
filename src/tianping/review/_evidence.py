"""What the people's review of one clause adds up to: the input of its verdict.

A leaf module (no imports from the rest of Tianping at run time), so that
``tianping.assess`` can name the type without importing the review package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..scoring._agreement import Agreement
    from ..standards import Example
    from ._ppi import PPIEstimate

__all__ = ["HumanEvidence"]


@dataclass(frozen=True)
class HumanEvidence:
    """The labels of one clause's review and the figures reported beside them.

    ``drawn``: the clause's answered items in the assessment (N). ``labels``: the final
    label of each reviewed item (qualified or not): the agreed label, or the
    adjudicator's. ``strata``: each labelled item's stratum (its risk). ``tasks``: items
    drawn for reviewers; ``awaiting``: of those, without a final label and not in
    dispute; ``disputed``: awaiting adjudication; ``adjudicated``: settled by one.
    ``reviewers``: first against second reviewer (Cohen's kappa); ``auto``: each
    automatic scorer against the final labels; ``ppi``: the prediction-powered
    estimate when only part of the N is labelled; ``examples``: unqualified answers.
    """

    drawn: int
    labels: Mapping[str, bool] = field(default_factory=dict)
    strata: Mapping[str, str] = field(default_factory=dict)
    tasks: int = 0
    awaiting: int = 0
    disputed: int = 0
    adjudicated: int = 0
    reviewers: Agreement | None = None
    auto: Mapping[str, Agreement] = field(default_factory=dict)
    ppi: PPIEstimate | None = None
    examples: tuple[Example, ...] = ()
