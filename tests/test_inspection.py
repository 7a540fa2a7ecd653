"""Attributions (sktemporal.inspection): shapes, completeness, a known cause found, bad input."""

import keras
import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer, TransformerClassifier
from sktemporal.inspection import ATTRIBUTION_METHODS, _target_gradient, attributions

TINY_LSTM = dict(
    lstm_units=4,
    attention_units=4,
    dense_units=8,
    epochs=2,
    stem_filters=(),
    deep_supervision=0,
    random_state=0,
)
# The Transformer keeps a stem and its auxiliary head, whose mean with the main head is what
# predict_proba returns (ensemble_heads=True): the attributions must follow that mean.
TINY_TRANSFORMER = dict(
    d_model=4,
    num_heads=2,
    num_layers=1,
    ff_dim=4,
    dense_units=4,
    epochs=2,
    stem_filters=(4,),
    stem_kernel_sizes=(3,),
    random_state=0,
)


def _data(n=60, seed=0):
    """Windows of 6 steps x 3 uncentred features (means 5, 0, -2); the class from one cell."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6, 3)) + np.array([5.0, 0.0, -2.0])
    y = np.where(X[:, 3, 1] > 0, "up", "down")
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    return {
        "lstm": AttentionLSTMClassifier(**TINY_LSTM).fit(X, y),
        "transformer": TransformerClassifier(**TINY_TRANSFORMER).fit(X, y),
    }


@pytest.mark.parametrize("name", ["lstm", "transformer"])
@pytest.mark.parametrize("method", ATTRIBUTION_METHODS)
def test_shape_and_finite(fitted, name, method):
    X, _ = _data(5, seed=1)
    result = attributions(fitted[name], X, method=method, n_steps=8)
    assert result.shape == X.shape
    assert result.dtype == np.float64
    assert np.all(np.isfinite(result))


def test_univariate_windows_given_2d(fitted):
    X, y = _data()
    clf = AttentionLSTMClassifier(**TINY_LSTM).fit(X[:, :, 0], y)
    assert attributions(clf, X[:4, :, 0], method="occlusion").shape == (4, 6, 1)


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_integrated_gradients_are_complete(fitted, name):
    """Sundararajan et al.'s completeness: the attributions sum to f(x) - f(baseline)."""
    clf = fitted[name]
    X, _ = _data(8, seed=2)
    for baseline in ["mean", "zeros"]:
        # The quadrature error shrinks with n_steps (measured on TensorFlow's Transformer:
        # 0.019 at 16 steps, 0.0034 at 64, 0.0006 at 256): enough steps to test completeness.
        result = attributions(clf, X, baseline=baseline, n_steps=256)
        predicted = clf.predict_proba(X).argmax(axis=1)
        base = np.zeros_like(X) if baseline == "zeros" else np.broadcast_to(_train_mean(), X.shape)
        rows = np.arange(len(X))
        expected = clf.predict_proba(X)[rows, predicted] - clf.predict_proba(base)[rows, predicted]
        np.testing.assert_allclose(result.sum(axis=(1, 2)), expected, atol=3e-3)


def _train_mean():
    X, _ = _data()
    return X.mean(axis=(0, 1))


def test_mean_baseline_is_the_training_mean(fitted):
    """The default baseline is the point the input normalisation maps to 0."""
    X, _ = _data(3, seed=3)
    mean = np.broadcast_to(_train_mean(), X.shape)
    for method in ATTRIBUTION_METHODS:
        default = attributions(fitted["lstm"], X, method=method, n_steps=8)
        explicit = attributions(fitted["lstm"], X, method=method, n_steps=8, baseline=mean)
        np.testing.assert_allclose(default, explicit, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_gradient_matches_finite_differences(fitted, name):
    """The backend's native gradient is the derivative of predict_proba's target column."""
    clf = fitted[name]
    X, _ = _data(2, seed=4)
    classes = np.array([0, 1])
    gradient = _target_gradient(clf.model_)(X.astype("float32"), classes)
    eps = 1e-2
    for i, (step, feature) in enumerate([(3, 1), (5, 0)]):
        up, down = X.copy(), X.copy()
        up[i, step, feature] += eps
        down[i, step, feature] -= eps
        numeric = (
            clf.predict_proba(up)[i, classes[i]] - clf.predict_proba(down)[i, classes[i]]
        ) / (2 * eps)
        assert gradient[i, step, feature] == pytest.approx(numeric, abs=2e-3, rel=0.05)


def test_target_chooses_the_class(fitted):
    """With two classes p(down) = 1 - p(up): occluding a cell moves them by opposite amounts."""
    clf = fitted["lstm"]
    X, _ = _data(4, seed=5)
    up = attributions(clf, X, method="occlusion", target="up")
    down = attributions(clf, X, method="occlusion", target=["down"] * 4)
    np.testing.assert_allclose(up, -down, atol=1e-6)
    predicted = attributions(clf, X, method="occlusion")
    chosen = np.where(clf.predict(X) == "up", 1, -1)[:, None, None] * up
    np.testing.assert_allclose(predicted, chosen, atol=1e-6)


def test_occlusion_patches_cover_each_cell(fitted):
    """A patch of whole time steps gives every feature of a step the same score."""
    X, _ = _data(3, seed=6)
    result = attributions(fitted["lstm"], X, method="occlusion", occlusion_shape=(2, 3))
    assert result.shape == X.shape
    np.testing.assert_allclose(result, result[:, :, :1].repeat(3, axis=2))


def _one_cell_data(n, seed):
    """The class is told by one cell alone (step 3, feature 1: about +2 or -2); noise elsewhere."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6, 3)) + np.array([5.0, 0.0, -2.0])
    y = rng.integers(0, 2, n)
    X[:, 3, 1] = np.where(y == 1, 2.0, -2.0) + rng.normal(scale=0.5, size=n)
    return X, y


def test_occlusion_and_gradients_find_the_deciding_cell():
    """Both methods must point at the one cell that decides the class, well above the others."""
    X, y = _one_cell_data(160, seed=7)
    params = dict(epochs=60, learning_rate=0.01, lstm_units=8, dropout_rate=0.0, weight_decay=0.0)
    clf = AttentionLSTMClassifier(**{**TINY_LSTM, **params}).fit(X, y)
    X_test, y_test = _one_cell_data(40, seed=8)
    assert (clf.predict(X_test) == y_test).mean() >= 0.85, "the model did not learn the rule"
    for method in ATTRIBUTION_METHODS:
        importance = np.abs(attributions(clf, X_test, method=method, n_steps=16)).mean(axis=0)
        top = np.unravel_index(np.argmax(importance), importance.shape)
        assert top == (3, 1), f"{method} found {top}, not the deciding cell (3, 1)"
        others = np.delete(importance.ravel(), 3 * 3 + 1)
        # Twice any other cell: on TensorFlow's fit integrated gradients gave 2.6 times.
        assert importance[3, 1] > 2 * others.max(), (method, importance)


def test_pipeline_attributes_its_classifier_windows():
    rng = np.random.default_rng(9)
    table = rng.normal(size=(80, 2))
    y = (table[:, 0] > 0).astype(int)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("window", SlidingWindowTransformer(sequence_length=5)),
            ("clf", AttentionLSTMClassifier(**TINY_LSTM)),
        ]
    ).fit(table, y)
    result = attributions(pipe, table[:10], method="occlusion")
    assert result.shape == (10, 5, 2)
    windows = pipe[:-1].transform(table[:10])
    np.testing.assert_allclose(result, attributions(pipe[-1], windows, method="occlusion"))


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros((2, 6, 3, 1)), "2-D .* or 3-D"),
        (np.zeros((2, 6, 2)), "6 time steps x 2 features.*fitted on 6 x 3"),
        (np.zeros((2, 5, 3)), "5 time steps x 3 features"),
        (np.full((2, 6, 3), np.nan), "NaN"),
        (np.full((2, 6, 3), np.inf), "infinity"),
    ],
)
def test_bad_windows_are_refused(fitted, X, match):
    with pytest.raises(ValueError, match=match):
        attributions(fitted["lstm"], X)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "shap"}, "Unknown attribution method 'shap'.*integrated_gradients"),
        ({"target": "sideways"}, "target 'sideways' is not a class.*'down', 'up'"),
        ({"target": ["up", "down"]}, "one class label or one per window \\(3\\)"),
        ({"baseline": "median"}, "Unknown baseline 'median'"),
        ({"baseline": np.zeros(2)}, "baseline of shape \\(2,\\) does not broadcast"),
        ({"baseline": np.nan}, "baseline contains NaN"),
        ({"n_steps": 0}, "n_steps must be an integer >= 1"),
        ({"integration": "simpson"}, "Unknown integration 'simpson'"),
        ({"method": "occlusion", "occlusion_shape": (7, 1)}, "occlusion_shape.*6 x 3"),
        ({"method": "occlusion", "occlusion_shape": 1}, "occlusion_shape"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
    ],
)
def test_bad_options_are_refused(fitted, kwargs, match):
    X, _ = _data(3, seed=10)
    with pytest.raises(ValueError, match=match):
        attributions(fitted["lstm"], X, **kwargs)


def test_not_a_fitted_classifier_is_refused():
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression

    X, _ = _data(3)
    with pytest.raises(NotFittedError):
        attributions(AttentionLSTMClassifier(), X)
    with pytest.raises(TypeError, match="fitted sktemporal classifier.*LogisticRegression"):
        attributions(LogisticRegression(), X)


def test_gradient_is_compiled_once_per_model_and_follows_a_refit():
    """The compiled gradient is cached by model, reads the current weights, and dies with it."""
    import gc
    import weakref

    from sktemporal import inspection

    X, y = _data()
    clf = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y)
    assert inspection._target_gradient(clf.model_) is inspection._target_gradient(clf.model_)
    before = attributions(clf, X[:3], n_steps=8)
    clf.partial_fit(X, y)
    after = attributions(clf, X[:3], n_steps=8)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, attributions(clf, X[:3], n_steps=8, batch_size=5), atol=1e-8)
    model = weakref.ref(clf.model_)
    del clf
    gc.collect()
    # On JAX, Keras' own compiled predict function keeps a model that predicted alive (also
    # without attributions); on TensorFlow the cache must not be what keeps it.
    if keras.backend.backend() == "tensorflow":
        assert model() is None


def test_a_loaded_classifier_gives_the_same_attributions(fitted, tmp_path):
    """The mean baseline is read from the network, so it survives a model file."""
    from sktemporal import load

    clf = fitted["transformer"]
    clf.save(tmp_path / "clf.keras")
    loaded = load(tmp_path / "clf.keras")
    X, _ = _data(3, seed=11)
    for method in ATTRIBUTION_METHODS:
        np.testing.assert_allclose(
            attributions(loaded, X, method=method, n_steps=8),
            attributions(clf, X, method=method, n_steps=8),
            atol=1e-6,
        )
