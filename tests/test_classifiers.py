import pickle
import warnings

import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TimeSeriesSplit,
    check_cv,
    cross_val_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import (
    AttentionLSTMClassifier,
    SlidingWindowTransformer,
    TransformerClassifier,
    load,
)
from sktemporal.classifiers._plan import split_validation_tail
from sktemporal.classifiers._schedule import WarmupCosineDecay
from tests.conftest import TINY_LSTM, TINY_STEM, TINY_TRANSFORMER


def test_both_are_classifiers_for_scikit_learn(classifier):
    assert is_classifier(classifier)


@pytest.mark.parametrize(
    "labels", [np.array([-1, 0, 1]), np.array(["down", "flat", "up"]), np.array([3, 7, 11])]
)
def test_any_labels_round_trip(classifier, windows, labels):
    X, y = windows
    y_named = labels[np.searchsorted([-1, 0, 1], y)]
    classifier.fit(X, y_named)
    np.testing.assert_array_equal(classifier.classes_, np.sort(labels))
    assert set(classifier.predict(X)) <= set(labels)
    proba = classifier.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert 0.0 <= classifier.score(X, y_named) <= 1.0


def test_probabilities_sum_to_one_in_float64(fitted_classifier, windows):
    # A float32 softmax sums to 1 only within ~1e-7, and scikit-learn's log_loss then warns
    # "The y_prob values do not sum to one" on every split of a search.
    X, y = windows
    proba = fitted_classifier.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-13)
    from sklearn.metrics import log_loss

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_loss(y, proba, labels=fitted_classifier.classes_)


def test_fitted_attributes(fitted_classifier, windows):
    X, _ = windows
    classifier = fitted_classifier
    assert classifier.n_timesteps_ == 6 and classifier.n_channels_ == 2
    assert classifier.n_features_in_ == 6
    assert isinstance(classifier.model_, keras.Model)
    assert classifier.n_iter_ == len(classifier.history_["loss"]) == 2
    weights = classifier.attention_weights_
    assert weights.shape == (6,)
    assert (weights >= 0).all()
    assert weights.sum() == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(weights, classifier.get_attention_weights(X).mean(axis=0))


def test_attention_per_window_sums_to_one(fitted_classifier, windows):
    X, _ = windows
    per_window = fitted_classifier.get_attention_weights(X[:7])
    assert per_window.shape == (7, 6)
    np.testing.assert_allclose(per_window.sum(axis=1), 1.0, rtol=1e-5)


def test_transformer_exposes_every_layer_and_head():
    X = np.random.default_rng(0).normal(size=(30, 5, 2))
    y = np.arange(30) % 2
    clf = TransformerClassifier(
        d_model=4, num_heads=2, num_layers=2, ff_dim=4, dense_units=2, epochs=1, random_state=0
    ).fit(X, y)
    maps = clf.get_attention_maps(X[:3])
    assert [m.shape for m in maps] == [(3, 2, 5, 5), (3, 2, 5, 5)]
    np.testing.assert_allclose(maps[1].sum(axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(clf.get_attention_weights(X[:3]), maps[1].mean(axis=(1, 2)))


def test_two_dimensional_input_is_univariate_sequences(classifier):
    X = np.random.default_rng(0).normal(size=(40, 7))
    y = (X[:, -1] > 0).astype(int)
    classifier.fit(X, y)
    assert classifier.n_timesteps_ == 7 and classifier.n_channels_ == 1
    np.testing.assert_array_equal(
        classifier.predict_proba(X), classifier.predict_proba(X[:, :, np.newaxis])
    )


def test_dataframe_input_keeps_feature_names(classifier):
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 4)), columns=list("abcd"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        classifier.fit(df, np.arange(30) % 2)
        classifier.predict(df)
    assert list(classifier.feature_names_in_) == list("abcd")
    with pytest.warns(UserWarning, match="feature names"):
        classifier.predict(df.to_numpy())


def test_validation_tail_is_the_end_of_the_data_in_time_order():
    """The validation set is the last rows, never a shuffled sample: with labels alternating in
    the head and mostly one class in the tail, training sees only the head's class mix."""
    X = np.zeros((50, 3, 1))
    y = np.array([0, 1] * 20 + [1] * 9 + [0])
    clf = AttentionLSTMClassifier(
        **{**TINY_LSTM, "epochs": 1}, validation_fraction=0.2, min_validation_windows=10
    )
    train_rows, validation_rows, _ = split_validation_tail(
        np.arange(50), y, validation_fraction=0.2, min_windows=10
    )
    np.testing.assert_array_equal(train_rows, np.arange(40))
    np.testing.assert_array_equal(validation_rows, np.arange(40, 50))
    clf.fit(X, y)
    assert "val_loss" in clf.history_


def test_early_stopping_stops_and_restores_the_best_epoch(windows):
    X, y = windows
    clf = AttentionLSTMClassifier(
        **{**TINY_LSTM, "epochs": 40},
        learning_rate=0.5,
        patience=2,
        validation_fraction=0.3,
        min_validation_windows=18,
    )
    clf.fit(X, y)
    val_loss = clf.history_["val_loss"]
    assert clf.n_iter_ < 40
    best = int(np.argmin(val_loss))
    assert clf.n_iter_ == best + 1 + 2
    X_val, y_val = X[-18:], y[-18:]
    restored = clf.model_.evaluate(
        X_val.astype("float32"), np.searchsorted(clf.classes_, y_val), verbose=0, return_dict=True
    )["loss"]
    assert restored == pytest.approx(val_loss[best], rel=1e-4)


def test_balanced_class_weight_changes_training(windows):
    X, y = windows
    plain = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y)
    balanced = AttentionLSTMClassifier(**TINY_LSTM, class_weight="balanced").fit(X, y)
    weighted = AttentionLSTMClassifier(**TINY_LSTM, class_weight={-1: 5.0, 0: 1.0, 1: 5.0}).fit(
        X, y
    )
    assert not np.allclose(plain.predict_proba(X), balanced.predict_proba(X))
    assert not np.allclose(balanced.predict_proba(X), weighted.predict_proba(X))


def test_zero_weight_windows_are_left_out(classifier, windows):
    X, y = windows
    doubled = np.concatenate([X, X[::-1]])
    weights = np.r_[np.ones(len(X)), np.zeros(len(X))]
    reference = clone(classifier).fit(X, y).predict_proba(X)
    with_zeros = clone(classifier).fit(doubled, np.r_[y, y[::-1]], sample_weight=weights)
    np.testing.assert_allclose(with_zeros.predict_proba(X), reference, rtol=1e-6)


def test_same_random_state_same_predictions(classifier, windows):
    X, y = windows
    first = clone(classifier).fit(X, y).predict_proba(X)
    second = clone(classifier).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = clone(classifier).set_params(random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


def test_fit_does_not_touch_the_global_numpy_random_state(classifier, windows):
    # The legacy global generator is the one Keras seeds.
    np.random.seed(123)  # noqa: NPY002
    expected = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    classifier.fit(*windows)
    assert np.random.random() == expected  # noqa: NPY002


def test_optimizer_instance_is_copied_not_trained_in_place(windows):
    optimizer = keras.optimizers.SGD(learning_rate=0.05)
    clf = AttentionLSTMClassifier(**TINY_LSTM, optimizer=optimizer).fit(*windows)
    assert clf.model_.optimizer is not optimizer
    assert isinstance(clf.model_.optimizer, keras.optimizers.SGD)
    assert int(optimizer.iterations.numpy()) == 0


def test_user_callbacks_run(windows):
    epochs_seen = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: epochs_seen.append(e))
    AttentionLSTMClassifier(**TINY_LSTM, callbacks=[callback]).fit(*windows)
    assert epochs_seen == [0, 1]


def test_partial_fit_trains_one_epoch_at_a_time(windows):
    X, y = windows
    clf = AttentionLSTMClassifier(**TINY_LSTM)
    clf.partial_fit(X[:30], y[:30], classes=[-1, 0, 1])
    clf.partial_fit(X[30:], y[30:])
    assert clf.n_iter_ == 2
    np.testing.assert_array_equal(clf.classes_, [-1, 0, 1])
    with pytest.raises(ValueError, match=r"labels \[7\] not seen"):
        clf.partial_fit(X[:5], np.full(5, 7))


def test_pickle_and_joblib_round_trips_are_bit_identical(fitted_classifier, windows, tmp_path):
    X, _ = windows
    classifier = fitted_classifier
    expected = classifier.predict_proba(X)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(classifier)).predict_proba(X), expected
    )
    joblib.dump(classifier, tmp_path / "clf.joblib")
    restored = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    np.testing.assert_array_equal(
        restored.get_attention_weights(X), classifier.get_attention_weights(X)
    )


def test_set_params_and_clone_rebuild_the_network(windows):
    X, y = windows
    clf = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y)
    clf.set_params(lstm_units=5, bidirectional=False).fit(X, y)
    assert clf.model_.get_layer("lstm_0").units == 5
    cloned = clone(clf)
    assert not hasattr(cloned, "model_")
    assert cloned.get_params()["lstm_units"] == 5


def _market_like_table(n_rows=160, seed=0):
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(n_rows, 3)).cumsum(axis=0)
    y = np.sign(np.r_[np.diff(table[:, 0]), 0]).astype(int)
    return table, y


def test_pipeline_in_grid_search_with_time_series_split():
    table, y = _market_like_table()
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("window", SlidingWindowTransformer()),
            ("clf", AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 1})),
        ]
    )
    search = GridSearchCV(
        pipe,
        # A parameter of the windows and one of the network, each routed through the pipeline.
        {"window__sequence_length": [3, 5], "clf__lstm_units": [2]},
        cv=TimeSeriesSplit(n_splits=2, gap=1),
        scoring="balanced_accuracy",
    )
    search.fit(table, y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_.named_steps["clf"].lstm_units == 2
    assert search.best_estimator_.predict(table).shape == (160,)


def test_cross_val_score_with_an_integer_cv_is_stratified_for_a_classifier():
    """scikeras' own KerasClassifier fails this under scikit-learn >= 1.6 (is_classifier False).

    With ``cv=2`` scikit-learn stratifies only for a classifier: it must choose
    ``StratifiedKFold(2)``.
    """
    table, y = _market_like_table()
    pipe = Pipeline(
        [
            ("window", SlidingWindowTransformer(4)),
            (
                "clf",
                TransformerClassifier(
                    d_model=4,
                    num_heads=1,
                    num_layers=1,
                    ff_dim=4,
                    dense_units=2,
                    epochs=1,
                    random_state=0,
                    **TINY_STEM,
                ),
            ),
        ]
    )
    assert is_classifier(pipe)
    assert isinstance(check_cv(2, y, classifier=is_classifier(pipe)), StratifiedKFold)
    scores = cross_val_score(pipe, table, y, cv=2)
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))


def test_the_training_step_is_traced_once_per_fit(monkeypatch, windows):
    # On TensorFlow, Keras would create the optimizer's variables inside the first trace of the
    # step and trace it again; each trace of a small Attention-LSTM costs ~1.5 s.
    if keras.backend.backend() != "tensorflow":
        pytest.skip("tracing is TensorFlow's")
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    traces = []
    train_step = TensorFlowTrainer.train_step

    def counting_train_step(self, data):
        traces.append(1)  # Python runs only while tf.function traces
        return train_step(self, data)

    monkeypatch.setattr(TensorFlowTrainer, "train_step", counting_train_step)
    X, y = windows
    AttentionLSTMClassifier(**TINY_LSTM).fit(X, y)
    assert len(traces) == 1


def test_verbose_fit_says_what_it_chose_and_why(windows, capsys):
    X, y = windows
    AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": "auto"}, min_steps=8, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "validation tail of 6 windows is smaller than min_validation_windows=200" in out
    assert "epochs='auto': 10 epochs of 4 steps" in out
    assert "adamw, weight decay 0.01, each weight's gradient clipped to norm 1" in out
    assert "cosine decay over the 40 planned steps" in out
    assert "auxiliary head on the stem's features averaged over time" in out
    assert "cross-entropy, weighted 1, to the training loss" in out


def test_auto_epochs_plan_enough_gradient_steps(windows):
    X, y = windows
    clf = AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": "auto"}, min_steps=50, patience=None)
    clf.fit(X, y)
    assert clf.n_iter_ == 13  # 60 windows in batches of 16: 4 steps an epoch, 13 epochs >= 50
    assert int(clf.model_.optimizer.iterations) == 52


@pytest.mark.parametrize("schedule", ["cosine", "plateau", "constant"])
def test_learning_rate_schedules(windows, schedule):
    X, y = windows
    clf = AttentionLSTMClassifier(**TINY_LSTM, learning_rate_schedule=schedule).fit(X, y)
    rate = clf.model_.optimizer.learning_rate
    if schedule == "cosine":
        schedule_object = clf.model_.optimizer._learning_rate
        assert isinstance(schedule_object, WarmupCosineDecay)
        assert schedule_object.peak == pytest.approx(0.001)
        assert float(rate) < 0.001  # decayed by the end of the planned steps
    else:
        assert float(rate) == pytest.approx(0.001)
    assert isinstance(clf.model_.optimizer, keras.optimizers.AdamW)
    assert clf.model_.optimizer.clipnorm == 1.0


def test_inputs_are_normalised_per_channel_inside_the_network(windows):
    X, y = windows
    X = X * np.array([100.0, 0.01]) + np.array([5.0, -3.0])
    clf = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y)
    layer = clf.model_.get_layer("input_normalization")
    np.testing.assert_allclose(np.ravel(layer.mean), X.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(np.ravel(layer.variance), X.var(axis=(0, 1)), rtol=1e-4)
    plain = AttentionLSTMClassifier(**TINY_LSTM, normalize_inputs=False).fit(X, y)
    assert "input_normalization" not in [layer.name for layer in plain.model_.layers]


def test_augmentation_trains_on_altered_windows_and_predicts_on_the_real_ones(windows):
    X, y = windows
    plain = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y)
    augmented = AttentionLSTMClassifier(**TINY_LSTM, augmentation=True).fit(X, y)
    layer = augmented.model_.get_layer("augmentation")
    assert (layer.shift, layer.scale, layer.noise) == (0.1, 0.1, 0.03)
    assert "augmentation" not in [layer.name for layer in plain.model_.layers]
    # Same seed, same initial weights: only the augmented batches made the fits differ.
    assert not np.allclose(plain.predict_proba(X), augmented.predict_proba(X))
    again = AttentionLSTMClassifier(**TINY_LSTM, augmentation=True).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), augmented.predict_proba(X))
    # Prediction is deterministic: the augmentation is off outside training.
    np.testing.assert_array_equal(augmented.predict_proba(X), augmented.predict_proba(X))
    layer = AttentionLSTMClassifier(augmentation={"noise": 0.2})._augmentation()
    assert (layer.shift, layer.scale, layer.noise) == (0.0, 0.0, 0.2)


@pytest.mark.parametrize(
    "augmentation, message",
    [
        ({"jitter": 0.1}, "unknown keys \\['jitter'\\]"),
        ({"shift": 2.0}, "shift"),
        ("yes", "augmentation"),
    ],
)
def test_bad_augmentation_is_named_before_training(windows, augmentation, message):
    with pytest.raises(ValueError, match=message):
        AttentionLSTMClassifier(**TINY_LSTM, augmentation=augmentation).fit(*windows)


def _layer_policies(model):
    return {layer.name: layer.dtype_policy.name for layer in model.layers}


@pytest.mark.parametrize("make", [AttentionLSTMClassifier, TransformerClassifier])
def test_mixed_precision_is_per_model_and_keeps_outputs_in_float32(make, windows, tmp_path):
    X, y = windows
    tiny = TINY_LSTM if make is AttentionLSTMClassifier else TINY_TRANSFORMER
    global_policy = keras.config.dtype_policy().name
    mixed = make(**tiny, precision="mixed_bfloat16").fit(X, y)
    full = make(**tiny).fit(X, y)
    assert keras.config.dtype_policy().name == global_policy
    policies = _layer_policies(mixed.model_)
    assert policies["stem_conv_0"] == "mixed_bfloat16"
    assert policies["input_normalization"] == policies["probabilities"] == "float32"
    assert set(_layer_policies(full.model_).values()) == {"float32"}
    # Fitting the float32 model did not change the mixed one, nor the reverse.
    assert _layer_policies(mixed.model_) == policies
    proba = mixed.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    for maps in mixed.get_attention_maps(X):
        np.testing.assert_allclose(maps.sum(axis=-1), 1.0, atol=1e-12)
    mixed.save(tmp_path / "mixed.keras")
    loaded = load(tmp_path / "mixed.keras")
    assert loaded.precision == "mixed_bfloat16"
    assert _layer_policies(loaded.model_) == policies
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(mixed)).predict_proba(X), proba)


def test_mixed_float16_scales_the_loss_and_reloads_its_optimizer(windows, tmp_path):
    X, y = windows
    clf = AttentionLSTMClassifier(**TINY_LSTM, precision="mixed_float16").fit(X, y)
    assert isinstance(clf.model_.optimizer, keras.optimizers.LossScaleOptimizer)
    clf.save(tmp_path / "half.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warns when it skips optimizer variables
        loaded = load(tmp_path / "half.keras")
    assert isinstance(loaded.model_.optimizer, keras.optimizers.LossScaleOptimizer)
    loaded.partial_fit(X, y)
    assert np.isfinite(loaded.predict_proba(X)).all()


def test_augmentation_dict_survives_save_and_load(windows, tmp_path):
    clf = AttentionLSTMClassifier(**TINY_LSTM, augmentation={"shift": 0.2}).fit(*windows)
    clf.save(tmp_path / "m.keras")
    assert load(tmp_path / "m.keras").augmentation == {"shift": 0.2}


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_attention_of_a_pooling_stem_covers_every_input_step(kind, tmp_path):
    """A stem that pools 5 steps into one: attention is spread back over the 23 input steps."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 23, 2)), np.arange(40) % 2
    params = {**(TINY_LSTM if kind == "lstm" else TINY_TRANSFORMER), "stem_max_steps": 5}
    clf = (AttentionLSTMClassifier if kind == "lstm" else TransformerClassifier)(**params)
    clf.fit(X, y)
    assert clf.model_.get_layer("stem_pooling").output.shape[1] == 5  # ceil(23 / 5) steps
    weights = clf.get_attention_weights(X[:4])
    assert weights.shape == (4, 23) and clf.attention_weights_.shape == (23,)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(clf.attention_weights_.sum(), 1.0, rtol=1e-6)
    # Steps pooled together share their pooled step's weight equally.
    np.testing.assert_allclose(weights[:, :5], weights[:, :1].repeat(5, axis=1), rtol=1e-6)
    maps = clf.get_attention_maps(X[:4])
    assert maps[-1].shape[-1] == 23
    clf.save(tmp_path / "pooled.keras")
    loaded = load(tmp_path / "pooled.keras")
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
    np.testing.assert_allclose(loaded.get_attention_weights(X[:4]), weights, rtol=1e-6)
    unpickled = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(unpickled.predict_proba(X), clf.predict_proba(X), rtol=1e-6)


def _shape_at_a_random_place(n, length=400, seed=0):
    """Noisy series holding one short shape (class 0 a bump, 1 a dip, 2 a square pulse) at a
    random position: Euclidean distance between whole series sees it only in part."""
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=1.0, size=(n, length, 1))
    y = np.arange(n) % 3
    width = 24
    shapes = [
        2.5 * np.sin(np.linspace(0, np.pi, width)),
        -2.5 * np.sin(np.linspace(0, np.pi, width)),
        np.r_[np.full(width // 2, 2.5), np.full(width // 2, -2.5)],
    ]
    for i, label in enumerate(y):
        start = rng.integers(0, length - width)
        X[i, start : start + width, 0] += shapes[label]
    return X, y


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_defaults_find_a_short_shape_at_a_random_place_in_a_long_noisy_series(kind):
    from sklearn.neighbors import KNeighborsClassifier

    X_train, y_train = _shape_at_a_random_place(150, seed=0)
    X_test, y_test = _shape_at_a_random_place(300, seed=1)
    nearest = KNeighborsClassifier(1).fit(X_train[..., 0], y_train).score(X_test[..., 0], y_test)
    clf = (AttentionLSTMClassifier if kind == "lstm" else TransformerClassifier)(random_state=0)
    accuracy = clf.fit(X_train, y_train).score(X_test, y_test)
    print(f"{kind}: accuracy {accuracy:.3f}, 1-NN Euclidean {nearest:.3f}")
    # Whole-series matching gets only part of the way (0.66 measured); the defaults must find
    # the shape wherever it is.
    assert nearest < 0.75
    assert accuracy >= 0.9 and accuracy >= nearest + 0.2


def test_warmup_cosine_schedule_matches_keras_cosine_decay():
    ours = WarmupCosineDecay(peak=0.01, warmup_steps=10, decay_steps=90, floor=1e-4)
    theirs = keras.optimizers.schedules.CosineDecay(
        1e-4, decay_steps=90, alpha=0.01, warmup_target=0.01, warmup_steps=10
    )
    for step in (0, 1, 5, 10, 11, 50, 99, 100, 150):
        assert float(ours(step)) == pytest.approx(float(theirs(step)), rel=1e-5, abs=1e-9)
    restored = WarmupCosineDecay.from_config(ours.get_config())
    assert float(restored(42)) == float(ours(42))


@pytest.mark.parametrize(("peak", "total_steps"), [(0.001, 30), (0.001, 826), (0.003, 4457)])
def test_warmup_cosine_schedule_from_variables_gives_the_compiled_rates_to_the_bit(
    peak, total_steps
):
    if keras.backend.backend() != "jax":
        pytest.skip("the step counts become variables on JAX only")
    import jax

    warmup = int(total_steps * 0.05)
    numbers = WarmupCosineDecay(peak, warmup, total_steps - warmup, peak * 0.01)
    state = WarmupCosineDecay.from_config(numbers.get_config())

    def from_variables(values, step):
        state.state_variables = tuple(values)
        try:
            return state(step)
        finally:
            state.state_variables = None

    compiled_numbers = jax.jit(numbers)
    compiled_variables = jax.jit(from_variables)
    values = [np.float32(v) for v in state.state_values().values()]  # the variables' values
    for step in range(0, total_steps + 3, max(1, total_steps // 60)):
        step = np.int32(step)
        assert np.asarray(compiled_variables(values, step)) == np.asarray(compiled_numbers(step))


@pytest.mark.parametrize("method", ["occlusion", "integrated_gradients"])
def test_get_attributions_is_the_inspection_function_through_the_estimator(
    fitted_classifier, windows, method
):
    from sktemporal.inspection import attributions

    X, _ = windows
    through_estimator = fitted_classifier.get_attributions(X[:4], method, n_steps=8)
    np.testing.assert_allclose(
        through_estimator, attributions(fitted_classifier, X[:4], method=method, n_steps=8)
    )
    assert through_estimator.shape == (4, *X.shape[1:])
    with pytest.raises(ValueError, match="Unknown attribution method"):
        fitted_classifier.get_attributions(X[:2], "saliency")


def test_a_fitted_network_is_freed_once_nothing_holds_it(classifier, windows):
    # The compiled prediction function lives on the network, so both are freed together; a
    # cache that outlived its networks kept their compiled code mapped, and a test worker
    # that fitted ~1,300 networks crashed inside XLA's compiler (out of memory mappings).
    import gc
    import weakref

    X, y = windows
    clf = clone(classifier).fit(X, y)
    clf.predict_proba(X[:1])
    network = weakref.ref(clf.model_)
    del clf
    gc.collect()
    assert network() is None


def test_predictions_follow_the_weights_after_layers_are_frozen(classifier, windows):
    X, y = windows
    clf = clone(classifier).fit(X, y)
    clf.predict_proba(X)  # the prediction function is built with the network's variables
    for layer in clf.model_.layers[: len(clf.model_.layers) // 2]:
        layer.trainable = False
    weights = clf.model_.get_weights()
    clf.model_.set_weights([w + 0.05 for w in weights])
    expected = np.asarray(clf.model_.predict_on_batch(X.astype("float32")), dtype=np.float64)
    np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-5)
