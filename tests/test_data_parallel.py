"""Data-parallel training over 2 virtual CPU devices equals training on one device.

Virtual devices must exist before the backend starts, so each backend runs in a subprocess:
TensorFlow splits its CPU with ``tf.config.set_logical_device_configuration`` and JAX with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

from sktemporal import AttentionLSTMClassifier
from sktemporal.classifiers._data_parallel import make_distribution, replica_count

needs_devices_parameter = pytest.mark.skipif(
    "devices" not in AttentionLSTMClassifier().get_params(),
    reason="the classifiers have no devices= parameter yet",
)

_SCRIPT = textwrap.dedent(
    """
    import json, os, pickle, sys
    import numpy as np
    import keras
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from sktemporal import AttentionLSTMClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 6, 2))
    y = np.where(X[:, -1, 0] > 0, "up", "down")
    # No dropout: TensorFlow's replicas draw their own dropout masks.
    params = dict(lstm_units=3, attention_units=3, dense_units=4, epochs=2, batch_size=16,
                  dropout_rate=0.0, validation_fraction=0.25, min_validation_windows=16,
                  patience=None, random_state=0, stem_filters=(4,), stem_kernel_sizes=(3,))
    one = AttentionLSTMClassifier(**params).fit(X, y)
    two = AttentionLSTMClassifier(**params, devices=["cpu:0", "cpu:1"]).fit(X, y)
    weight = two.model_.weights[0].value
    if hasattr(weight, "sharding"):  # JAX: one array laid out over both devices
        placed = len(weight.sharding.device_set)
    else:  # TensorFlow: a mirrored variable, one copy per device
        placed = len(getattr(weight, "values", [weight]))
    probabilities = two.predict_proba(X)
    restored = pickle.loads(pickle.dumps(two))
    # An odd number of windows: the last batch drops one window, and training goes on.
    odd = AttentionLSTMClassifier(**params, devices="all").fit(X[:61], y[:61])
    odd.partial_fit(X[:61], y[:61])
    report = {
        "devices": keras.distribution.list_devices(),
        "placed_on": placed,
        "shape": list(probabilities.shape),
        "attention_shape": list(two.attention_weights_.shape),
        "probability_difference": float(np.abs(probabilities - one.predict_proba(X)).max()),
        "loss_difference": float(np.abs(
            np.subtract(two.history_["loss"], one.history_["loss"])).max()),
        "val_loss_difference": float(np.abs(
            np.subtract(two.history_["val_loss"], one.history_["val_loss"])).max()),
        "pickle_difference": float(np.abs(restored.predict_proba(X) - probabilities).max()),
        "odd_epochs": odd.n_iter_,
    }
    print("REPORT" + json.dumps(report))
    """
)


def _run(backend, tmp_path):
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
        "CUDA_VISIBLE_DEVICES": "",
    }
    script = tmp_path / "data_parallel.py"
    script.write_text(_SCRIPT)
    completed = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                               text=True, timeout=600, cwd=tmp_path)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("REPORT")]
    assert completed.returncode == 0 and lines, completed.stderr[-4000:]
    return json.loads(lines[-1].removeprefix("REPORT"))


@needs_devices_parameter
@pytest.mark.backend
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_devices_train_the_same_model_as_one(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    report = _run(backend, tmp_path)
    assert report["devices"] == ["cpu:0", "cpu:1"]
    assert report["placed_on"] == 2
    assert report["shape"] == [64, 2] and report["attention_shape"] == [6]
    # The same gradients, summed in another order: float32 round-off only.
    assert report["loss_difference"] < 1e-5
    assert report["val_loss_difference"] < 1e-5
    assert report["probability_difference"] < 1e-5
    assert report["pickle_difference"] < 1e-6
    assert report["odd_epochs"] == 3


def test_devices_are_checked_before_training():
    import keras

    assert make_distribution(None, 32) is None
    assert replica_count(None) == 1
    available = keras.distribution.list_devices()
    with pytest.raises(ValueError, match=r"devices names \['gpu:7'\], which the .* has"):
        make_distribution(["gpu:7"], 32)
    with pytest.raises(ValueError, match="more than once"):
        make_distribution([available[0], "/" + available[0].upper()], 32)
    with pytest.raises(ValueError, match="empty list"):
        make_distribution([], 32)
    with pytest.raises(ValueError, match='None, "all" or a list'):
        make_distribution("gpus", 32)
    if len(available) == 1:
        assert replica_count(make_distribution([f"/device:{available[0].upper()}"], 3)) == 1
