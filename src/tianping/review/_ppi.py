"""Prediction-powered inference for a qualified rate (Angelopoulos et al., Science 2023).

The setting of a clause reviewed in part: each of the N items drawn for the clause has
an automatic prediction f_i (1 if the scorer found the answer qualified, else 0), and a
uniform random subsample S of n of them also has a human label Y_j (1 if qualified).
The human labels alone give Ȳ_S, whose variance shrinks only with n. Prediction-powered
inference uses all N predictions and corrects their bias with the n labels::

    θ̂ = f̄_N + Δ̄_S,   f̄_N = (1/N) Σ_{i≤N} f_i,   Δ̄_S = (1/n) Σ_{j∈S} (Y_j − f_j)     (1)

θ̂ is unbiased for the rate the humans would find, however wrong the scorer is: a
biased scorer shifts f̄_N and Δ̄_S by opposite amounts. Its variance::

    Var θ̂ = σ_f² / N + σ_Δ² / n + 2 σ_fΔ / N                                       (2)

σ_f² is the variance of the predictions, σ_Δ² of the rectifier Δ = Y − f, σ_fΔ their
covariance. The first two terms are the paper's formula for independent labelled and
unlabelled samples; the third is the covariance of the two means, Cov(f̄_N, Δ̄_S) =
σ_fΔ / N, because here the labelled items are among the N. For binary predictions
σ_fΔ = Cov(f, Y) − Var f ≤ 0 (the slope of Y on f is at most 1), so (2) is never wider
than the paper's formula, and with n = N it is Var(Y) / N, the human-only variance.

Estimates: σ_f² over the N items, σ_Δ² and σ_fΔ over the n labelled ones (each with
n − 1 or N − 1 in the denominator). The interval is the normal approximation
θ̂ ± z_{1−α/2} √Var, clipped to [0, 1]. It is honest when n is large enough for a
normal approximation of Δ̄_S and S is a uniform random subsample of the N (a draw
stratified in proportion to the strata, as ``draw_review`` makes, is close to one).
When the labels show no variation at all, the estimated variance is 0 and the interval
says nothing: ``degenerate`` is then true and callers fall back to the human labels'
own (Wilson or Clopper-Pearson) interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..standards._stats import z_value

__all__ = ["PPIEstimate", "ppi_mean"]


@dataclass(frozen=True)
class PPIEstimate:
    """A prediction-powered estimate of a rate, its interval, and what went into it."""

    estimate: float
    low: float
    high: float
    se: float
    n: int  # human-labelled items (with a prediction)
    big_n: int  # items with a prediction
    auto_rate: float  # f̄_N
    rectifier: float  # Δ̄_S
    human_rate: float  # Ȳ_S
    confidence: float
    scorer: str = ""
    # The variance's parts, to say how many labels would decide a threshold.
    fixed_var: float = 0.0  # (σ_f² + 2 σ_fΔ) / N
    rectifier_var: float = 0.0  # σ_Δ²

    @property
    def degenerate(self) -> bool:
        """True when the estimated variance is 0: the interval then says nothing."""
        return self.se <= 0.0

    def labels_to_decide(self, threshold: float) -> int | None:
        """Human labels that would put the whole interval on one side of ``threshold``,
        if the estimate and variances held; None if no number up to N would."""
        gap = (abs(self.estimate - threshold) / z_value(self.confidence)) ** 2 - self.fixed_var
        if gap <= 0.0 or self.degenerate:
            return None
        need = max(self.n, math.floor(self.rectifier_var / gap) + 1)
        return need if need <= self.big_n else None

    def to_json(self) -> dict[str, object]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "se": self.se,
            "n": self.n,
            "N": self.big_n,
            "auto_rate": self.auto_rate,
            "rectifier": self.rectifier,
            "human_rate": self.human_rate,
            "confidence": self.confidence,
            "scorer": self.scorer,
        }


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def _cov(xs: Sequence[float], ys: Sequence[float]) -> float:
    if len(xs) < 2:
        return 0.0
    mx, my = _mean(xs), _mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def ppi_mean(
    predictions: Sequence[float],
    labelled_predictions: Sequence[float],
    labels: Sequence[float],
    *,
    confidence: float = 0.95,
    scorer: str = "",
) -> PPIEstimate:
    """The prediction-powered estimate (1) with the interval from variance (2).

    ``predictions``: f_i for all N items (the labelled ones included).
    ``labelled_predictions`` and ``labels``: f_j and Y_j of the n labelled items, in
    the same order. Values are 0 or 1 (any reals work: it is a mean). Raises ValueError
    without labels or when the labelled items outnumber the predictions.
    """
    n, big_n = len(labels), len(predictions)
    if len(labelled_predictions) != n:
        raise ValueError(f"{len(labelled_predictions)} labelled predictions but {n} labels")
    if n == 0:
        raise ValueError("prediction-powered inference needs at least one human label")
    if n > big_n:
        raise ValueError(f"{n} labelled items but only {big_n} predictions")
    delta = [y - f for y, f in zip(labels, labelled_predictions, strict=True)]
    auto_rate, rectifier = _mean(predictions), _mean(delta)
    # (1) can stray a little outside [0, 1] near the ends; a rate cannot.
    estimate = min(1.0, max(0.0, auto_rate + rectifier))
    var_f = _cov(predictions, predictions)
    var_delta = _cov(delta, delta)
    cov_f_delta = _cov(labelled_predictions, delta)
    fixed = (var_f + 2.0 * cov_f_delta) / big_n
    se = math.sqrt(max(0.0, fixed + var_delta / n))
    half = z_value(confidence) * se
    return PPIEstimate(
        estimate=estimate,
        low=max(0.0, estimate - half),
        high=min(1.0, estimate + half),
        se=se,
        n=n,
        big_n=big_n,
        auto_rate=auto_rate,
        rectifier=rectifier,
        human_rate=_mean(labels),
        confidence=confidence,
        scorer=scorer,
        fixed_var=fixed,
        rectifier_var=var_delta,
    )
