"""Purged splitters: what they remove, that they stop a look-ahead label leaking, and that they
work in scikit-learn's model selection with our classifiers."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, KFold, TimeSeriesSplit, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from sktemporal.model_selection import default_embargo, label_intervals, purged_splitter
from tests.conftest import TINY_STEM


def _peeking_task(seed, n=2000, horizon=10, window=5):
    """A random walk whose label at ``t`` is the sign of the move from ``t`` to ``t + horizon``.

    The features, windows of a slow moving average of the walk, say nothing about the
    future; but neighbouring rows have nearly the same features and labels that share
    ``horizon - 1`` of their ``horizon`` steps.
    """
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(size=n + horizon))
    y = (walk[horizon:] - walk[:-horizon] > 0)[:n].astype(int)
    average = pd.Series(walk).ewm(span=20).mean().to_numpy()[:n, None]  # causal
    windows = SlidingWindowTransformer(sequence_length=window).fit_transform(average)
    return windows.reshape(n, -1), y


def test_a_label_that_peeks_ahead_leaks_into_kfold_and_not_into_the_purged_splits():
    horizon, window = 10, 5
    scores = {"kfold": [], "purged-kfold": [], "cpcv": []}
    for seed in range(5):
        X, y = _peeking_task(seed, horizon=horizon, window=window)
        splitters = {
            "kfold": KFold(5, shuffle=True, random_state=0),
            "purged-kfold": purged_splitter(len(y), horizon=horizon, window=window),
            "cpcv": purged_splitter(len(y), "cpcv", horizon=horizon, window=window, n_splits=6),
        }
        for name, cv in splitters.items():
            scores[name].append(cross_val_score(KNeighborsClassifier(1), X, y, cv=cv).mean())
    mean = {name: float(np.mean(values)) for name, values in scores.items()}
    # The future is a coin flip: an honest score is 0.5. KFold puts each test row's
    # neighbours, and most of its label, in training.
    assert mean["kfold"] > 0.6, mean
    assert abs(mean["purged-kfold"] - 0.5) < 0.05, mean
    assert abs(mean["cpcv"] - 0.5) < 0.05, mean
    assert mean["kfold"] - mean["purged-kfold"] > 0.1, mean


@pytest.mark.parametrize("scheme", ["purged-kfold", "cpcv"])
@pytest.mark.parametrize("horizon, window", [(1, 1), (3, 5), (10, 30)])
def test_no_training_label_overlaps_a_test_label_and_no_window_holds_a_test_price(
    scheme, horizon, window
):
    n = 300
    cv = purged_splitter(n, scheme, horizon=horizon, window=window, n_splits=6)
    for train, test in cv.split(np.zeros((n, 1))):
        # Label t is the return over the periods ending at rows t+1..t+horizon, computed
        # from the prices of rows t..t+horizon; window t holds rows t-window+1..t.
        test_periods = {t + step for t in test for step in range(1, horizon + 1)}
        test_prices = {t + step for t in test for step in range(horizon + 1)}
        for t in train:
            assert not test_periods & set(range(t + 1, t + horizon + 1)), t
            assert not test_prices & set(range(t - window + 1, t + 1)), t


def test_the_embargo_keeps_training_windows_clear_of_the_prices_of_test_labels():
    horizon, window, n = 3, 5, 60
    cv = purged_splitter(n, "purged-kfold", horizon=horizon, window=window, n_splits=3)
    for train, test in cv.split(np.zeros((n, 1))):
        last_test_price = test.max() + horizon
        after = train[train > test.max()]
        if len(after):
            assert after.min() - window + 1 > last_test_price
            # ... and not a row more than needed is removed
            assert after.min() - window == last_test_price
        before = train[train < test.min()]
        if len(before):
            # a training label may end at the first test row but not after it
            assert before.max() + horizon <= test.min()
            assert before.max() + horizon == test.min()


def test_label_intervals_and_the_default_embargo():
    start, end = label_intervals(4, 2)
    assert (end - start == pd.Timedelta(days=2)).all()
    assert list(start.days) == [0, 1, 2, 3]
    assert default_embargo(horizon=1, window=30) == 30


def test_the_schemes_and_their_numbers_of_fits():
    n = 100
    walk_forward = purged_splitter(n, "walk-forward", horizon=3, n_splits=4)
    assert isinstance(walk_forward, TimeSeriesSplit) and walk_forward.gap == 3
    assert purged_splitter(n, horizon=1, n_splits=4).get_n_splits() == 4
    cpcv = purged_splitter(n, "cpcv", horizon=1, n_splits=6, n_test_groups=2)
    assert cpcv.get_n_splits() == math.comb(6, 2) == len(list(cpcv.split(np.zeros((n, 1)))))
    with pytest.raises(ValueError, match="n_test_groups must be smaller than n_splits"):
        purged_splitter(n, "cpcv", horizon=1, n_splits=3, n_test_groups=3)
    with pytest.raises(ValueError, match="scheme"):
        purged_splitter(n, "shuffled", horizon=1)
    with pytest.raises(ValueError, match="horizon"):
        purged_splitter(n, horizon=-1)


def test_cross_val_score_and_grid_search_run_our_classifier_on_purged_splits():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(120, 2))
    y = (table[:, 0] > 0).astype(int)
    # Windows built once over the whole table: each holds its own past rows only, so the
    # purged splits (whose training rows are not contiguous) select whole windows.
    windows = SlidingWindowTransformer(sequence_length=4).fit_transform(table)
    tiny = AttentionLSTMClassifier(
        lstm_units=2, attention_units=2, dense_units=2, epochs=1, random_state=0, **TINY_STEM
    )
    cpcv = purged_splitter(len(y), "cpcv", horizon=1, window=4, n_splits=3, n_test_groups=2)
    scores = cross_val_score(tiny, windows, y, cv=cpcv)
    assert len(scores) == 3 and np.all((scores >= 0) & (scores <= 1))
    kfold = purged_splitter(len(y), "purged-kfold", horizon=1, window=4, n_splits=2)
    search = GridSearchCV(tiny, {"dropout_rate": [0.0, 0.3]}, cv=kfold, refit=False)
    search.fit(windows, y)
    assert len(search.cv_results_["mean_test_score"]) == 2
