"""Through a fitted pipeline, what the rows from t on contain never moves a prediction before t."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import SlidingWindowTransformer, check_no_lookahead
from tests.conftest import tiny_classifiers

N_ROWS = 80


@pytest.fixture(scope="module", params=["lstm", "transformer"])
def fitted_pipeline(request):
    rng = np.random.default_rng(0)
    table = rng.normal(size=(N_ROWS, 3)).cumsum(axis=0)
    y = (np.r_[np.diff(table[:, 0]), 0] > 0).astype(int)
    classifier = tiny_classifiers()[["lstm", "transformer"].index(request.param)]
    pipeline = Pipeline(
        [("scale", StandardScaler()), ("window", SlidingWindowTransformer(5)), ("clf", classifier)]
    )
    return pipeline.fit(table, y), table


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(1, N_ROWS - 1), seed=st.integers(0, 2**16))
def test_past_predictions_ignore_the_future(fitted_pipeline, cut, seed):
    """Every kind of perturbation of check_no_lookahead, at a random cutoff, step by step."""
    pipeline, table = fitted_pipeline
    report = check_no_lookahead(
        pipeline, table, cutoffs=[cut], n_trials=1, fit=False, random_state=seed
    )
    assert not report.leaks, str(report)
    assert set(report.kinds) == {"noise", "extreme", "shuffle", "constant"}
    assert "clf.predict_proba" in report.outputs


PANEL_DATES = pd.bdate_range("2024-01-01", periods=30, name="date")


@pytest.fixture(scope="module")
def fitted_panel_pipeline():
    """Three assets, one listed 5 days later, interleaved by date; an LSTM fitted on them."""
    rng = np.random.default_rng(1)
    parts = {
        asset: pd.DataFrame(
            rng.normal(size=(30 - start, 3)).cumsum(axis=0), index=PANEL_DATES[start:]
        )
        for asset, start in [("AAA", 0), ("BBB", 5), ("CCC", 0)]
    }
    panel = pd.concat(parts, names=["asset", "date"]).sort_index(level=["date", "asset"])
    y = (panel[0].groupby(level="asset").diff(-1).fillna(0) < 0).astype(int)
    pipeline = Pipeline([
        ("scale", StandardScaler()),
        ("window", SlidingWindowTransformer(5)),
        ("clf", tiny_classifiers()[0]),
    ]).set_output(transform="pandas")
    return pipeline.fit(panel, y), panel


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(0, len(PANEL_DATES) - 2),
    seed=st.integers(0, 2**16),
    grouped=st.booleans(),
)
def test_past_panel_predictions_ignore_every_entitys_future(
    fitted_panel_pipeline, cut, seed, grouped
):
    """On a panel, cut by date: no asset's prediction moves with any asset's later rows."""
    pipeline, panel = fitted_panel_pipeline
    if grouped:
        panel = panel.sort_index()
    report = check_no_lookahead(
        pipeline, panel, cutoffs=PANEL_DATES[cut], n_trials=1, fit=False, random_state=seed
    )
    assert not report.leaks, str(report)
    assert report.panel and report.cutoffs == (PANEL_DATES[cut],)
    assert "clf.predict_proba" in report.outputs
