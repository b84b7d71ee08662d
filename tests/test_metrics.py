import math

import pytest

from unspin.eval.metrics import (auroc, bootstrap_interval, expected_calibration_error, false_positive_rate,
                                 flags_per_1000_words, overlaps, reliability_bins, restoration_scores,
                                 span_scores)


def test_overlaps_half_open():
    assert overlaps((0, 5), (4, 6))
    assert not overlaps((0, 5), (5, 6))
    assert overlaps((2, 3), (0, 10))


def test_span_scores_hand_case():
    gold = [[(0, 5), (10, 15), (20, 25)], [(0, 3)]]
    # doc 1: one pred overlaps gold 1, one overlaps gold 2 and 3 together, one is wrong;
    # doc 2: no prediction.
    pred = [[(1, 2), (12, 22), (30, 35)], []]
    s = span_scores(gold, pred)
    assert (s.tp_pred, s.n_pred, s.found_gold, s.n_gold) == (2, 3, 3, 4)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(3 / 4)
    assert s.f1 == pytest.approx(2 * (2 / 3) * 0.75 / (2 / 3 + 0.75))


def test_span_scores_empty():
    s = span_scores([[]], [[]])
    assert s.precision == 0.0 and s.recall == 0.0 and s.f1 == 0.0
    with pytest.raises(ValueError):
        span_scores([[]], [])


def test_restoration_rates():
    gold = [[((0, 9), "met"), ((20, 26), "troops"), ((40, 50), "between")]]
    pred = [[((0, 9), " MET "), ((20, 26), "army")]]  # third gold span not found
    r = restoration_scores(gold, pred)
    assert (r.exact_found, r.found, r.n_gold) == (1, 2, 3)
    assert r.rate_over_found == pytest.approx(0.5)
    assert r.rate_over_all == pytest.approx(1 / 3)


def test_restoration_whitespace():
    r = restoration_scores([[((0, 5), "sign  up\nwith")]], [[((1, 3), "Sign up with")]])
    assert r.exact_found == 1


def test_auroc_known_values():
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5], [0.5]) == 0.5
    # pairs: (0.9>0.5)(0.9>0.7)(0.6>0.5)(0.6<0.7) -> 3/4
    assert auroc([0.9, 0.6], [0.5, 0.7]) == pytest.approx(0.75)
    # ties count one half: pos 0.5 vs neg 0.5 tie, pos 0.8 > both -> (0.5 + 1 + 1 + 1) / 4
    assert auroc([0.5, 0.8], [0.5, 0.2]) == pytest.approx(3.5 / 4)


def test_fpr_and_flag_rate():
    assert false_positive_rate([True, False, False, False]) == 0.25
    assert false_positive_rate([]) == 0.0
    assert flags_per_1000_words([1, 2], [500, 1500]) == pytest.approx(1.5)


def test_reliability_and_ece():
    scores = [0.05, 0.15, 0.95, 1.0]
    labels = [False, True, True, True]
    bins = reliability_bins(scores, labels, n_bins=10)
    assert [b.count for b in bins] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert bins[9].mean_score == pytest.approx(0.975) and bins[9].frac_positive == 1.0
    # ECE = 1/4*|0.05-0| + 1/4*|0.15-1| + 2/4*|0.975-1|
    expected = 0.25 * 0.05 + 0.25 * 0.85 + 0.5 * 0.025
    assert expected_calibration_error(scores, labels, 10) == pytest.approx(expected)
    assert expected_calibration_error([], []) == 0.0
    with pytest.raises(ValueError):
        reliability_bins([1.5], [True])
    assert not math.isnan(expected_calibration_error([0.5], [True], 2))


def test_bootstrap_interval_of_a_mean_narrows_with_more_documents_and_is_reproducible():
    def mean_of(values):
        return lambda idx: sum(values[i] for i in idx) / len(idx)
    few = [0.0, 1.0] * 10
    many = [0.0, 1.0] * 500
    lo_few, hi_few = bootstrap_interval(mean_of(few), len(few))
    lo_many, hi_many = bootstrap_interval(mean_of(many), len(many), reps=300)
    assert lo_few < 0.5 < hi_few and lo_many < 0.5 < hi_many
    assert hi_many - lo_many < (hi_few - lo_few) / 4  # ~1/sqrt(50) of the width
    # binomial standard error of 20 coin flips is 0.11: a 95% interval about +-0.22
    assert 0.3 < hi_few - lo_few < 0.55
    assert bootstrap_interval(mean_of(few), len(few)) == (lo_few, hi_few)  # seeded
    assert bootstrap_interval(mean_of([0.7] * 5), 5) == (0.7, 0.7)  # no spread, no interval


def test_bootstrap_interval_redraws_undefined_resamples_and_refuses_hopeless_ones():
    # undefined whenever document 0 is drawn (about two resamples in three of 10 documents)
    lo, hi = bootstrap_interval(lambda idx: None if 0 in idx else 1.0, 10, reps=50)
    assert (lo, hi) == (1.0, 1.0)
    with pytest.raises(ValueError, match="undefined"):
        bootstrap_interval(lambda idx: float("nan"), 3, reps=10)
    with pytest.raises(ValueError, match="at least one"):
        bootstrap_interval(lambda idx: 1.0, 0)
