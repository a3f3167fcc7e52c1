"""The screening benchmark's metrics on orders worked out by hand."""

import numpy as np
import pytest

from benchmarks.screen_metrics import evaluate, stop_outcome


def test_perfect_order_saves_all_but_the_includes():
    y = np.array([1] * 20 + [0] * 180)
    m = evaluate(y)
    assert m.wss95 == pytest.approx((200 - 19) / 200 - 0.05)   # 19 of 20 includes after 19 records
    assert m.recall10 == 1.0                                     # 20 records = 10 % hold all 20 includes


def test_worst_order_saves_nothing():
    y = np.array([0] * 180 + [1] * 20)
    m = evaluate(y)
    assert m.wss95 == pytest.approx((200 - 199) / 200 - 0.05)
    assert m.recall10 == 0.0
    assert m.atd == pytest.approx(np.mean(np.arange(181, 201)) / 200)


def test_atd_leaves_prior_includes_out():
    y = np.array([1, 0, 0, 1, 0, 0, 0, 0, 0, 1])
    assert evaluate(y, n_priors=2).atd == pytest.approx((4 + 10) / 2 / 10)


def test_stop_outcome_reports_recall_and_share_left():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    assert stop_outcome(y, 4, 0.95) == (True, 1.0, 0.6)
    assert stop_outcome(y, 2, 0.95) == (False, pytest.approx(2 / 3), 0.8)
    assert stop_outcome(y, None, 0.95) == (True, 1.0, 0.0)
