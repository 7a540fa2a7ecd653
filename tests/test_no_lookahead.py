"""Through a fitted pipeline, what the rows from t on contain never moves a prediction before t."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import SlidingWindowTransformer
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


future_kinds = st.sampled_from(["noise", "extreme", "constant", "shuffled"])


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(1, N_ROWS - 1), kind=future_kinds, seed=st.integers(0, 2**16))
def test_past_predictions_ignore_the_future(fitted_pipeline, cut, kind, seed):
    pipeline, table = fitted_pipeline
    rng = np.random.default_rng(seed)
    perturbed = table.copy()
    future = perturbed[cut:]
    if kind == "noise":
        future += rng.normal(scale=10, size=future.shape)
    elif kind == "extreme":
        future[:] = rng.choice([-1e6, 1e6], size=future.shape)
    elif kind == "constant":
        future[:] = rng.normal()
    else:
        future[:] = rng.permutation(future)
    np.testing.assert_array_equal(
        pipeline.predict_proba(perturbed)[:cut], pipeline.predict_proba(table)[:cut]
    )
