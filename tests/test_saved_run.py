"""Tests for sktemporal.market.saved_run: a train run's files read back, and their backtest."""

import numpy as np
import pandas as pd
import pytest

from sktemporal.market.out_of_sample import backtest_predictions, read_oos_predictions
from sktemporal.market.saved_run import backtest_model, load_evaluation
from tests.conftest import TINY_TRAIN_ROWS


def test_load_evaluation_checks_the_prices(saved):
    model, prices, _ = saved

    evaluation = load_evaluation(model, prices)
    assert evaluation.pipeline["trained_on"]["data_source"].endswith("prices.csv")
    with pytest.raises(ValueError, match="not the bundled S&P 500"):
        load_evaluation(model)
    shifted = prices.copy()
    shifted.iloc[150:, :4] *= 1.02 ** np.arange(TINY_TRAIN_ROWS - 150)[:, None]
    with pytest.raises(ValueError, match="other labels than the model was evaluated on"):
        load_evaluation(model, shifted)


def test_backtest_model_uses_the_saved_out_of_sample_predictions(saved):
    model, prices, threshold = saved
    predictions = read_oos_predictions(f"{model}.oos.csv")

    result = backtest_model(model, prices, threshold=threshold)
    expected = backtest_predictions(predictions, prices["close"], threshold=threshold)

    pd.testing.assert_frame_equal(result.summary(), expected.summary())
    assert result.positions.index.equals(predictions.index)
    assert 0 < result.n_acted < result.n_days
