"""Through a fitted pipeline, what the rows from t on contain never moves a prediction before t."""

import numpy as np
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
