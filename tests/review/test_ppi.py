"""Prediction-powered inference: known values, and simulations where the truth is known."""

from __future__ import annotations

import math
import random

import pytest

from tianping.review import ppi_mean
from tianping.standards import wilson


def test_known_values_by_hand() -> None:
    # N = 6 predictions, the first 4 labelled: f = 1,1,0,1 | 1,0 and Y = 1,0,0,1.
    f_all = [1.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    f_lab, y = [1.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]
    p = ppi_mean(f_all, f_lab, y, confidence=0.95, scorer="risk")
    # f̄_N = 4/6, Δ = (0, -1, 0, 0): Δ̄ = -1/4, so θ̂ = 4/6 - 1/4.
    assert p.estimate == pytest.approx(4 / 6 - 0.25)
    assert (p.auto_rate, p.rectifier, p.human_rate) == (pytest.approx(4 / 6), -0.25, 0.5)
    var_f = sum((v - 4 / 6) ** 2 for v in f_all) / 5
    var_d = (3 * 0.25**2 + 0.75**2) / 3
    cov = sum((a - 0.75) * (d + 0.25) for a, d in zip(f_lab, [0, -1, 0, 0], strict=True)) / 3
    se = math.sqrt(var_f / 6 + var_d / 4 + 2 * cov / 6)
    assert p.se == pytest.approx(se)
    assert p.low == pytest.approx(max(0.0, p.estimate - 1.959964 * se), abs=1e-6)
    assert p.high == pytest.approx(min(1.0, p.estimate + 1.959964 * se), abs=1e-6)
    assert (p.n, p.big_n, p.scorer) == (4, 6, "risk")


def test_with_every_item_labelled_it_is_the_human_mean_and_variance() -> None:
    rng = random.Random(3)
    y = [float(rng.random() < 0.9) for _ in range(400)]
    f = [v if rng.random() < 0.9 else 1.0 - v for v in y]
    p = ppi_mean(f, f, y)
    mean = sum(y) / len(y)
    assert p.estimate == pytest.approx(mean)
    var_y = sum((v - mean) ** 2 for v in y) / (len(y) - 1)
    assert p.se == pytest.approx(math.sqrt(var_y / len(y)))


def test_a_perfect_scorer_has_only_the_predictions_variance() -> None:
    rng = random.Random(4)
    f = [float(rng.random() < 0.92) for _ in range(1000)]
    p = ppi_mean(f, f[:100], f[:100])
    assert p.rectifier == 0.0
    assert p.estimate == pytest.approx(sum(f) / 1000)
    assert p.se == pytest.approx(math.sqrt(p.fixed_var))
    assert not p.degenerate


def test_labels_without_variation_are_degenerate() -> None:
    p = ppi_mean([1.0] * 500, [1.0] * 50, [1.0] * 50)
    assert p.degenerate
    assert p.labels_to_decide(0.9) is None


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one human label"):
        ppi_mean([1.0], [], [])
    with pytest.raises(ValueError, match="labelled predictions"):
        ppi_mean([1.0, 0.0], [1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="only 1 predictions"):
        ppi_mean([1.0], [1.0, 1.0], [1.0, 0.0])


def _simulate(
    *,
    p: float,
    sensitivity: float,
    specificity: float,
    big_n: int,
    n: int,
    reps: int,
    seed: int,
) -> tuple[float, float, float, float]:
    """Coverage and mean width of the PPI and human-only (Wilson) intervals for a
    true qualified rate ``p``. The scorer calls a qualified answer qualified with
    probability ``sensitivity``, an unqualified one unqualified with ``specificity``."""
    rng = random.Random(seed)
    covered = covered_h = 0
    width = width_h = 0.0
    for _ in range(reps):
        y = [rng.random() < p for _ in range(big_n)]
        f = [(rng.random() < sensitivity) if ok else (rng.random() >= specificity) for ok in y]
        picked = rng.sample(range(big_n), n)
        est = ppi_mean(
            [float(v) for v in f],
            [float(f[i]) for i in picked],
            [float(y[i]) for i in picked],
            confidence=0.95,
        )
        covered += est.low <= p <= est.high
        width += est.high - est.low
        low, high = wilson(sum(y[i] for i in picked), n, 0.95)
        covered_h += low <= p <= high
        width_h += high - low
    return covered / reps, width / reps, covered_h / reps, width_h / reps


def test_coverage_is_near_nominal_and_tighter_than_people_alone_with_a_good_scorer() -> None:
    cov, width, cov_h, width_h = _simulate(
        p=0.9, sensitivity=0.98, specificity=0.9, big_n=1000, n=200, reps=1500, seed=11
    )
    assert 0.93 <= cov <= 0.97, cov  # 1500 reps: ±0.017 is three standard errors
    assert 0.93 <= cov_h <= 0.975, cov_h
    assert width < 0.75 * width_h, (width, width_h)


def test_a_biased_scorer_is_corrected_and_coverage_holds() -> None:
    # The scorer passes most unqualified answers: its own rate is about 0.97, not 0.85.
    cov, width, _cov_h, width_h = _simulate(
        p=0.85, sensitivity=0.99, specificity=0.2, big_n=1000, n=300, reps=1000, seed=12
    )
    assert 0.93 <= cov <= 0.97, cov
    # A poor scorer buys little: about as wide as people alone, never much wider.
    assert width < 1.1 * width_h, (width, width_h)


def test_at_the_fewest_labels_used_coverage_still_holds_for_a_high_rate() -> None:
    from tianping.review._status import PPI_MIN_LABELS

    cov, _w, _ch, _wh = _simulate(
        p=0.95,
        sensitivity=0.97,
        specificity=0.85,
        big_n=1000,
        n=PPI_MIN_LABELS,
        reps=1500,
        seed=13,
    )
    assert cov >= 0.925, cov


def test_labels_to_decide_shrinks_the_interval_enough() -> None:
    rng = random.Random(5)
    y = [float(rng.random() < 0.95) for _ in range(1000)]
    f = [v if rng.random() < 0.93 else 1.0 - v for v in y]
    p = ppi_mean(f, f[:40], y[:40])
    assert p.estimate == pytest.approx(0.892)
    assert p.low < 0.85 < p.high  # undecided against 0.85 with 40 labels
    need = p.labels_to_decide(0.85)
    assert need is not None
    assert 40 < need <= 1000
    # With that many labels (the same variances) the half-width fits in the gap ...
    half = 1.959964 * math.sqrt(p.fixed_var + p.rectifier_var / need)
    assert half <= abs(p.estimate - 0.85) + 1e-9
    # ... and with one fewer it would not.
    half = 1.959964 * math.sqrt(p.fixed_var + p.rectifier_var / (need - 1))
    assert half > abs(p.estimate - 0.85)
    # An estimate this close to 0.9 stays undecided even with all 1000 labelled.
    assert p.labels_to_decide(0.9) is None
