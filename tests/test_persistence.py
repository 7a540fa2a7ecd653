import json
import os
import stat
import zipfile

import keras
import numpy as np
import pytest

from sktemporal import AttentionLSTMClassifier, TransformerClassifier, load
from tests.conftest import TINY_STEM


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


def test_a_model_without_stored_attention_fits_saves_and_loads(windows, tmp_path):
    from tests.conftest import TINY_LSTM

    X, y = windows
    clf = AttentionLSTMClassifier(**TINY_LSTM, store_attention=False).fit(X, y)
    assert clf.attention_weights_ is None
    assert clf.get_attention_weights(X[:3]).shape == (3, X.shape[1])  # on demand, as ever
    clf.save(tmp_path / "m.keras")
    loaded = load(tmp_path / "m.keras")
    assert loaded.attention_weights_ is None
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    loaded.partial_fit(X, y)
    assert loaded.attention_weights_ is None
    # A null that the parameters do not explain is refused.
    forged = _with_metadata(
        tmp_path / "m.keras", tmp_path / "forged.keras", params_update={"store_attention": True}
    )
    with pytest.raises(ValueError, match="or null for a model fitted with store_attention"):
        load(forged)


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
        **TINY_STEM,
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
        **TINY_STEM,
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


def _with_metadata(path, target, **changes):
    """Copy the model file at ``path`` to ``target`` with its sktemporal.json updated."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as archive:
        for item in source.namelist():
            data = source.read(item)
            if item == "sktemporal.json":
                metadata = json.loads(data)
                params = changes.pop("params_update", None)
                if params is not None:
                    metadata["params"] = {**metadata["params"], **params}
                data = json.dumps({**metadata, **changes}).encode()
            archive.writestr(item, data)
    return target


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"estimator": []}, "names the estimator"),
        ({"params": [1]}, "'params' must be an object"),
        ({"params_update": {"not_a_parameter": 1}}, r"\['not_a_parameter'\], which are not"),
        ({"params_update": {"callbacks": 5}}, "callbacks"),
        ({"params_update": {"random_state": "x"}}, "random_state"),
        ({"params_update": {"epochs": 0}}, "epochs"),
        ({"classes": {"values": [[0], 1], "dtype": "<i8"}}, "flat list"),
        ({"classes": {"values": [1, 0], "dtype": "<i8"}}, "distinct and sorted"),
        ({"classes": {"values": [0, 1], "dtype": "<M8[ns]"}}, "unsupported dtype"),
        ({"classes": {"values": [0, 1, 2, 3, 4], "dtype": "<i8"}}, "lists 5 classes"),
        (
            {"n_timesteps": 7, "n_features_in": 7, "attention_weights": [0.1] * 7},
            "takes windows of shape",
        ),
        ({"n_channels": True}, "'n_channels' must be an integer"),
        ({"attention_weights": [0.5]}, "attention_weights"),
        ({"history": {"loss": ["a"]}}, "history"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_tampered_metadata_is_refused_naming_the_file(fitted, tmp_path, changes, message):
    path = tmp_path / "model.keras"
    fitted.save(path)
    forged = _with_metadata(path, tmp_path / "forged.keras", **changes)
    with pytest.raises(ValueError, match=message) as error:
        load(forged)
    assert repr(str(forged)) in str(error.value)


def test_deeply_nested_metadata_is_refused_naming_the_file(fitted, tmp_path):
    path = tmp_path / "model.keras"
    fitted.save(path)
    forged = tmp_path / "forged.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as archive:
        for item in source.namelist():
            data = source.read(item)
            if item == "sktemporal.json":
                data = b"[" * 100_000 + b"]" * 100_000
            archive.writestr(item, data)
    with pytest.raises(ValueError, match="nested too deeply") as error:
        load(forged)
    assert repr(str(forged)) in str(error.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_has_the_permissions_of_a_new_file(fitted, tmp_path):
    previous = os.umask(0o022)
    try:
        fitted.save(tmp_path / "model.keras")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "model.keras").stat().st_mode) == 0o644
