"""Tests for sktemporal.market.preparation: features and labels aligned, settings checked."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import TimeSeriesSplit

from sktemporal.market.features import TechnicalIndicators
from sktemporal.market.preparation import feature_table, minimum_rows, prepare_dataset
from sktemporal.market.walk_forward import walk_forward_evaluate
from tests._market_fixtures import (
    N_SPLITS,
    SEQUENCE_LENGTH,
    THRESHOLD,
    WARMUP,
    LastRowClassifier,
    direction,
)


@pytest.mark.parametrize("horizon", [1, 3])
def test_prepare_dataset_labels_look_ahead_exactly_horizon_rows(evaluation_prices, horizon):
    X, y = prepare_dataset(evaluation_prices, horizon=horizon, threshold=THRESHOLD)

    expected_index = evaluation_prices.index[WARMUP : len(evaluation_prices) - horizon]
    pd.testing.assert_index_equal(X.index, expected_index)
    pd.testing.assert_index_equal(y.index, expected_index)
    close = evaluation_prices["close"].to_numpy()
    rows = np.arange(WARMUP, len(evaluation_prices) - horizon)
    assert_array_equal(y, direction(close[rows + horizon] / close[rows] - 1, THRESHOLD))
    # The last ``horizon`` rows have features but no label, and are left out.
    assert not evaluation_prices.index[-horizon:].isin(y.index).any()
    all_features = TechnicalIndicators().fit_transform(evaluation_prices)
    assert_array_equal(X.to_numpy(), all_features[WARMUP : len(evaluation_prices) - horizon])
    assert np.isfinite(X.to_numpy()).all()


def test_feature_table_names_an_undefined_indicator(evaluation_prices):
    broken = evaluation_prices.copy()
    broken.iloc[200:230, broken.columns.get_loc("volume")] = 0.0

    with pytest.raises(ValueError, match="indicator '.*' is undefined on 1999-"):
        feature_table(broken)


def test_too_few_rows_and_bad_settings_are_rejected_before_fitting(evaluation_prices):
    needed = minimum_rows(SEQUENCE_LENGTH, 1, N_SPLITS)
    with pytest.raises(
        ValueError, match=f"needs at least {needed} rows of prices, got {needed - 1}"
    ):
        walk_forward_evaluate(
            evaluation_prices.iloc[: needed - 1],
            LastRowClassifier(),
            sequence_length=SEQUENCE_LENGTH,
            n_splits=N_SPLITS,
        )
    with pytest.raises(ValueError, match=r"'n_splits' parameter .* range \[2, inf\)"):
        walk_forward_evaluate(evaluation_prices, LastRowClassifier(), n_splits=1)
    with pytest.raises(ValueError, match=r"'threshold' parameter .* range \[0.0, inf\)"):
        walk_forward_evaluate(evaluation_prices, LastRowClassifier(), threshold=-0.1)


@pytest.mark.parametrize("sequence_length, horizon, n_splits", [(1, 1, 2), (10, 3, 5), (30, 1, 5)])
def test_minimum_rows_is_the_fewest_that_split(sequence_length, horizon, n_splits):
    def folds(n_rows):
        n_samples = n_rows - WARMUP - (sequence_length - 1) - horizon
        try:
            splits = list(TimeSeriesSplit(n_splits, gap=horizon).split(np.arange(n_samples)))
        except ValueError:
            return None
        return [(len(train), len(test)) for train, test in splits]

    needed = minimum_rows(sequence_length, horizon, n_splits)
    sizes = folds(needed)
    assert sizes is not None and len(sizes) == n_splits
    assert min(train for train, _ in sizes) >= 2 and min(test for _, test in sizes) >= 1
    fewer = folds(needed - 1)
    assert fewer is None or min(train for train, _ in fewer) < 2
