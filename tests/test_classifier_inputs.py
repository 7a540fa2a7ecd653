"""What the classifiers do with input that is easy to get wrong (issue 27).

A time-ordered table given without the window step, sequences of different lengths, windows
of one step, a stem turned off with ``stem_filters=()`` alone, ``warm_start``, and the loss
history with an auxiliary head: each either works as documented or is refused by name.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils._repr_html.estimator import estimator_html_repr

from sktemporal import AttentionLSTMClassifier, TransformerClassifier
from sktemporal.exceptions import TimeOrderedTableWarning
from tests.conftest import TINY_LSTM, TINY_TRANSFORMER


def _unrelated(records):
    """Warnings other than NumPy 2's note on Keras' TensorFlow tensors."""
    return [r for r in records if "copy keyword" not in str(r.message)]


def test_a_time_indexed_table_given_to_a_classifier_warns_and_names_the_window_step():
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(40, 5)), index=pd.date_range("2020", periods=40))
    y = np.arange(40) % 2
    with pytest.warns(TimeOrderedTableWarning, match="SlidingWindowTransformer") as records:
        AttentionLSTMClassifier(**TINY_LSTM).fit(table, y)
    assert "5 time steps of 1 feature" in str(records[0].message)


def test_a_panel_table_warns_too_but_arrays_and_plain_frames_do_not(fitted_classifier):
    rng = np.random.default_rng(0)
    index = pd.MultiIndex.from_product([["a", "b"], pd.date_range("2020", periods=3)])
    panel = pd.DataFrame(rng.normal(size=(6, 6)), index=index)
    lstm = AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 1})
    with pytest.warns(TimeOrderedTableWarning):
        lstm.fit(panel, np.arange(6) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TimeOrderedTableWarning)
        lstm.predict(panel.to_numpy())
        lstm.predict(pd.DataFrame(panel.to_numpy()))  # rows that are series: no warning


@pytest.mark.parametrize("make", [AttentionLSTMClassifier, TransformerClassifier])
def test_sequences_of_different_lengths_are_refused_with_what_to_do(make):
    X = [np.zeros((5, 2)), np.zeros((7, 2)), np.zeros((5, 2))]
    with pytest.raises(ValueError, match=r"different lengths \(5, 7 time steps\).*pad_sequences"):
        make().fit(X, [0, 1, 0])


def test_stem_filters_empty_alone_turns_the_stem_off(windows):
    X, y = windows
    params = {**TINY_LSTM, "stem_filters": ()}
    params.pop("stem_kernel_sizes")  # the default (8, 5, 3) is ignored without filters
    clf = AttentionLSTMClassifier(**params).fit(X, y)
    names = [layer.name for layer in clf.model_.layers]
    assert not any(name.startswith("stem") for name in names)
    assert "objective" not in clf.history_  # no stem, so no auxiliary head


@pytest.mark.parametrize(
    "make, params",
    [(AttentionLSTMClassifier, TINY_LSTM), (TransformerClassifier, TINY_TRANSFORMER)],
)
def test_windows_of_one_step_fit_quietly_with_attention_one(make, params):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1, 2))
    y = (X[:, 0, 0] > 0).astype(int)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        clf = make(**{**params, "epochs": 3}).fit(X, y)
        proba = clf.predict_proba(X)
        maps = clf.get_attention_maps(X[:4])
    assert not [str(r.message) for r in _unrelated(records)]
    np.testing.assert_allclose(clf.attention_weights_, [1.0])
    np.testing.assert_allclose(maps[-1], 1.0, rtol=1e-5)
    # The network still reads the step: different inputs, different probabilities.
    assert np.ptp(proba[:, 1]) > 1e-4


def test_warm_start_points_at_partial_fit():
    with pytest.raises(TypeError, match=r"no warm_start parameter.*partial_fit"):
        AttentionLSTMClassifier(warm_start=True)
    with pytest.raises(ValueError, match=r"no warm_start parameter.*partial_fit"):
        TransformerClassifier().set_params(warm_start=True)
    # Everything else about construction, clone and set_params is unchanged.
    clf = clone(AttentionLSTMClassifier(lstm_units=3).set_params(epochs=1))
    assert (clf.lstm_units, clf.epochs) == (3, 1)


def test_the_notebook_diagram_links_each_sktemporal_estimator_to_its_api_page():
    from sklearn.pipeline import Pipeline

    from sktemporal import ConfidenceThresholdClassifier, SlidingWindowTransformer

    pipeline = Pipeline(
        [
            ("window", SlidingWindowTransformer()),
            ("clf", ConfidenceThresholdClassifier(TransformerClassifier())),
        ]
    )
    from sktemporal import DirectionLabeler, TechnicalIndicators

    html = "".join(
        estimator_html_repr(e) for e in (pipeline, DirectionLabeler(), TechnicalIndicators())
    )
    links = set(re.findall(r'href="([^"#]+)', html))
    for name in (
        "SlidingWindowTransformer",
        "ConfidenceThresholdClassifier",
        "TransformerClassifier",
        "DirectionLabeler",
        "TechnicalIndicators",
    ):
        assert any(link.endswith(f"generated/sktemporal.{name}.html") for link in links), name


@pytest.mark.parametrize(
    "make, params",
    [(AttentionLSTMClassifier, TINY_LSTM), (TransformerClassifier, TINY_TRANSFORMER)],
)
def test_loss_and_val_loss_are_the_same_quantity_with_an_auxiliary_head(make, params):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 6, 2))
    y = (X[:, -1, 0] > 0).astype(int)
    clf = make(**{**params, "min_validation_windows": 5, "epochs": 2, "patience": None}).fit(X, y)
    history = clf.history_
    assert {"loss", "val_loss", "objective", "accuracy", "objective_accuracy"} <= set(history)
    # The objective adds the auxiliary head's cross-entropy; loss does not.
    assert all(o > loss for o, loss in zip(history["objective"], history["loss"], strict=True))
    # loss is the cross-entropy of the predictions on the training windows after the last
    # epoch: recompute it from predict_proba (the tail of 8 windows is not trained on).
    train = X[: len(X) - 8], y[: len(X) - 8]
    proba = clf.predict_proba(train[0])[np.arange(len(train[1])), train[1]]
    expected = -np.log(np.clip(proba, 1e-7, 1)).mean()
    assert history["loss"][-1] == pytest.approx(expected, rel=1e-3)
    # The same quantity on the tail is val_loss, as Keras computes it.
    tail = clf.predict_proba(X[-8:])[np.arange(8), y[-8:]]
    assert history["val_loss"][-1] == pytest.approx(-np.log(tail).mean(), rel=1e-3)
