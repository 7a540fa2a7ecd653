import zipfile

import keras
import numpy as np
import pytest

from sktemporal import AttentionLSTMClassifier, TransformerClassifier, load


@pytest.fixture
def fitted(fitted_classifier):
    return fitted_classifier


def test_save_load_is_bit_identical(fitted, windows, tmp_path):
    X, _ = windows
    fitted.save(tmp_path / "model.keras")
    loaded = load(tmp_path / "model.keras")
    assert type(loaded) is type(fitted)
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    np.testing.assert_array_equal(loaded.attention_weights_, fitted.attention_weights_)
    np.testing.assert_array_equal(loaded.get_attention_weights(X), fitted.get_attention_weights(X))
    assert loaded.history_ == dict(fitted.history_)


def test_string_labels_class_weight_and_optimizer_survive(windows, tmp_path):
    X, y = windows
    labels = np.array(["down", "flat", "up"])[y + 1]
    clf = TransformerClassifier(
        d_model=4,
        num_heads=1,
        num_layers=1,
        ff_dim=2,
        dense_units=2,
        epochs=1,
        random_state=0,
        class_weight={"down": 2.0, "flat": 1.0, "up": 2.0},
        optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
    ).fit(X, labels)
    clf.save(tmp_path / "m.keras")
    loaded = load(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.class_weight == clf.class_weight
    assert isinstance(loaded.optimizer, keras.optimizers.RMSprop)
    loaded.fit(X, labels)  # the restored parameters are usable


def test_unsaveable_parameters_warn_and_fall_back(windows, tmp_path):
    clf = AttentionLSTMClassifier(
        lstm_units=2,
        attention_units=2,
        dense_units=2,
        epochs=1,
        callbacks=[keras.callbacks.History()],
    ).fit(*windows)
    with pytest.warns(UserWarning, match="callbacks"):
        clf.save(tmp_path / "m.keras")
    assert load(tmp_path / "m.keras").callbacks is None


def test_save_requires_the_keras_suffix_and_a_fitted_model(fitted, tmp_path):
    with pytest.raises(ValueError, match="must end in '.keras'"):
        fitted.save(tmp_path / "model.h5")
    assert list(tmp_path.iterdir()) == []


def test_missing_truncated_and_foreign_files_are_refused(fitted, tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.keras")
    path = tmp_path / "model.keras"
    fitted.save(path)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated|corrupted"):
        load(truncated)
    plain_keras = tmp_path / "plain.keras"
    fitted.model_.save(plain_keras)
    with pytest.raises(ValueError, match="not written by sktemporal"):
        load(plain_keras)
    text = tmp_path / "text.keras"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not an sktemporal model file"):
        load(text)


def test_a_model_with_a_lambda_layer_is_refused(fitted, tmp_path):
    """Safe mode: a file whose network carries arbitrary code must not load."""
    path = tmp_path / "model.keras"
    fitted.save(path)
    inputs = keras.Input((6, 2))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    hostile = tmp_path / "hostile.keras"
    keras.Model(inputs, outputs).save(hostile)
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(hostile, "a") as archive:
        archive.writestr("sktemporal.json", original.read("sktemporal.json"))
    with pytest.raises(ValueError, match="could not be loaded.*(Lambda|safe)"):
        load(hostile)


def test_unknown_estimator_name_is_refused(fitted, tmp_path):
    path = tmp_path / "model.keras"
    fitted.save(path)
    forged = tmp_path / "forged.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            if item == "sktemporal.json":
                data = data.replace(type(fitted).__name__.encode(), b"os.system")
            target.writestr(item, data)
    with pytest.raises(ValueError, match="'os.system', which is not one of"):
        load(forged)
