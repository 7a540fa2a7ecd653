"""The classifiers on Keras' other backends, and on a GPU when one is visible.

Keras picks its backend once, at import, so each backend test runs in a fresh Python
subprocess with ``KERAS_BACKEND`` set. The subprocess fits both classifiers tiny for one epoch,
predicts, saves and loads them, and reports the arrays as JSON; the checks are made here. A
backend whose package is not importable is skipped with the reason.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

# Exit status of the subprocess when the backend cannot be imported.
_UNAVAILABLE = 77

# Each script starts by importing its backend, and exits with _UNAVAILABLE if it cannot.
_PRELUDE = r"""
import json, os, sys

backend = os.environ["KERAS_BACKEND"]
try:
    __import__(backend)
except ImportError as error:
    print(f"{backend} is not importable: {error}", file=sys.stderr)
    sys.exit(77)
"""

_SCRIPT = (
    _PRELUDE
    + r"""
import keras
import numpy as np

from sktemporal import AttentionLSTMClassifier, TransformerClassifier, load

assert keras.backend.backend() == backend, keras.backend.backend()
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 6, 2))
y = np.where(X[:, -1, 0] > 0, 1, 0)
classifiers = {
    "lstm": AttentionLSTMClassifier(lstm_units=(4, 3), attention_units=3, dense_units=4,
                                    epochs=1, batch_size=16, random_state=0,
                                    stem_filters=(4,), stem_kernel_sizes=(3,)),
    "transformer": TransformerClassifier(d_model=4, num_heads=2, num_layers=1, ff_dim=4,
                                         dense_units=4, epochs=1, batch_size=16,
                                         random_state=0, stem_filters=(4,),
                                         stem_kernel_sizes=(3,)),
}
report = {}
for name, clf in classifiers.items():
    clf.fit(X, y)
    path = os.path.join(sys.argv[1], f"{name}.keras")
    clf.save(path)
    loaded = load(path)
    report[name] = {
        "proba": clf.predict_proba(X).tolist(),
        "loaded_proba": loaded.predict_proba(X).tolist(),
        "attention": clf.get_attention_weights(X).tolist(),
        "loaded_attention": loaded.get_attention_weights(X).tolist(),
        "attention_weights_": clf.attention_weights_.tolist(),
        "n_iter_": clf.n_iter_,
    }
print("REPORT " + json.dumps(report))
"""
)


def _run_script(script, backend, *args):
    """Run ``script`` under ``KERAS_BACKEND=backend``; its ``REPORT`` line, parsed."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode == _UNAVAILABLE:
        pytest.skip(done.stderr.strip().splitlines()[-1])
    assert done.returncode == 0, f"KERAS_BACKEND={backend} failed:\n{done.stderr[-4000:]}"
    line = next(line for line in done.stdout.splitlines() if line.startswith("REPORT "))
    return json.loads(line[len("REPORT ") :])


@pytest.mark.backend
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_fit_predict_attention_and_round_trip_on_backend(backend, tmp_path):
    report = _run_script(_SCRIPT, backend, str(tmp_path))
    assert set(report) == {"lstm", "transformer"}
    for name, result in report.items():
        proba = np.asarray(result["proba"])
        attention = np.asarray(result["attention"])
        assert result["n_iter_"] == 1, name
        assert proba.shape == (60, 2), name
        np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5, err_msg=name)
        assert attention.shape == (60, 6), name
        assert (attention >= 0).all(), name
        np.testing.assert_allclose(attention.sum(axis=1), 1, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(sum(result["attention_weights_"]), 1, atol=1e-5, err_msg=name)
        # Saved and loaded on the same backend: the same network, the same outputs.
        np.testing.assert_array_equal(result["loaded_proba"], proba, err_msg=name)
        np.testing.assert_array_equal(result["loaded_attention"], attention, err_msg=name)


def _visible_gpu():
    """Name of a GPU the current Keras backend can use, or None."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return gpus[0].name if gpus else None
    if backend == "jax":
        import jax

        gpus = [device for device in jax.devices() if device.platform == "gpu"]
        return str(gpus[0]) if gpus else None
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return None


def _device_of(variable):
    value = variable.value
    if hasattr(value, "devices"):  # jax.Array
        return " ".join(str(device) for device in value.devices())
    return str(value.device)  # tf.Variable ("/job:.../device:GPU:0") or torch.Tensor ("cuda:0")


@pytest.mark.gpu
def test_fit_and_predict_on_the_gpu(classifier, windows):
    if _visible_gpu() is None:
        pytest.skip("no GPU visible to the Keras backend")
    X, y = windows
    classifier.fit(X, y)
    devices = {_device_of(variable).lower() for variable in classifier.model_.weights}
    assert all("gpu" in device or "cuda" in device for device in devices), devices
    proba = classifier.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(classifier.get_attention_weights(X).sum(axis=1), 1, atol=1e-5)


@pytest.mark.gpu
def test_lstm_layers_run_cudnn_on_a_jax_gpu(monkeypatch, windows):
    """Keras on JAX falls back to a scanned loop without a word when cuDNN cannot be used (a mask,
    another activation, recurrent dropout); the default LSTM must stay on cuDNN's kernel."""
    import keras

    if keras.backend.backend() != "jax" or _visible_gpu() is None:
        pytest.skip("needs the JAX backend and a GPU")
    import jax.experimental.rnn

    from sktemporal import AttentionLSTMClassifier

    calls = []
    cudnn_lstm = jax.experimental.rnn.lstm

    def counted(*args, **kwargs):
        calls.append(kwargs.get("hidden_size"))
        return cudnn_lstm(*args, **kwargs)

    # Keras imports it from jax.experimental.rnn each time it traces an LSTM layer.
    monkeypatch.setattr(jax.experimental.rnn, "lstm", counted)
    X, y = windows
    AttentionLSTMClassifier(lstm_units=(8, 4), epochs=1, batch_size=16, random_state=0).fit(X, y)
    # Both LSTM layers (8 and 4 units) went through cuDNN while the training step was traced.
    assert {8, 4} <= set(calls), calls


_SAVE_SCRIPT = (
    _PRELUDE
    + r"""
import numpy as np

from sktemporal import load

X = np.asarray(json.loads(sys.argv[2]), dtype="float32")
if sys.argv[1] == "load":
    model = load(sys.argv[3])
else:
    import sktemporal

    params = json.loads(sys.argv[4])
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    model = getattr(sktemporal, sys.argv[1])(**params)
    model.fit(X, (X[:, -1, 0] > 0).astype(int))
    model.save(sys.argv[3])
print("REPORT " + json.dumps({
    "proba": model.predict_proba(X).tolist(),
    "attention": model.get_attention_weights(X).tolist(),
}))
"""
)


# Both classifiers tiny, with a pooling stem (windows of 6 steps pooled to 3).
_COMMON = dict(
    dense_units=4,
    epochs=2,
    batch_size=16,
    random_state=0,
    stem_filters=[4, 4],
    stem_kernel_sizes=[3, 3],
    stem_max_steps=3,
)
_TINY = {
    "AttentionLSTMClassifier": dict(lstm_units=[4, 3], attention_units=3, **_COMMON),
    "TransformerClassifier": dict(d_model=4, num_heads=2, num_layers=1, ff_dim=4, **_COMMON),
}


def _run_script_on(backend, *args):
    report = _run_script(_SAVE_SCRIPT, backend, *args)
    return {key: np.asarray(value) for key, value in report.items()}


@pytest.mark.backend
@pytest.mark.parametrize("name", sorted(_TINY))
def test_a_model_saved_on_one_backend_loads_on_the_other(name, tmp_path):
    """TensorFlow <-> JAX, both ways: the loaded model predicts what the saved one did.

    Each backend computes in its own order, so the outputs agree to float32 rounding, not
    bit for bit.
    """
    import keras

    import sktemporal

    here = keras.backend.backend()
    other = "jax" if here != "jax" else "tensorflow"
    X = np.random.default_rng(1).normal(size=(40, 6, 2)).astype("float32")
    X_json = json.dumps(X.tolist())

    saved_there = _run_script_on(
        other, name, X_json, str(tmp_path / f"{other}.keras"), json.dumps(_TINY[name])
    )
    loaded_here = sktemporal.load(tmp_path / f"{other}.keras")
    np.testing.assert_allclose(loaded_here.predict_proba(X), saved_there["proba"], atol=1e-5)
    np.testing.assert_allclose(
        loaded_here.get_attention_weights(X), saved_there["attention"], atol=1e-5
    )

    params = {k: tuple(v) if isinstance(v, list) else v for k, v in _TINY[name].items()}
    model = getattr(sktemporal, name)(**params).fit(X, (X[:, -1, 0] > 0).astype(int))
    model.save(tmp_path / f"{here}.keras")
    loaded_there = _run_script_on(other, "load", X_json, str(tmp_path / f"{here}.keras"))
    np.testing.assert_allclose(loaded_there["proba"], model.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(
        loaded_there["attention"], model.get_attention_weights(X), atol=1e-5
    )


_NO_TENSORFLOW_SCRIPT = r"""
import json, sys, time

start = time.perf_counter()
from sktemporal import AttentionLSTMClassifier, TransformerClassifier, load
import_seconds = time.perf_counter() - start

import numpy as np
from sklearn.model_selection import GridSearchCV

rng = np.random.default_rng(0)
X, y = rng.normal(size=(48, 6, 2)), np.arange(48) % 2
stem = dict(stem_filters=(4,), stem_kernel_sizes=(3,), dense_units=4, epochs=1, random_state=0)
lstm = AttentionLSTMClassifier(lstm_units=4, attention_units=3, **stem).fit(X, y)
TransformerClassifier(d_model=4, num_heads=2, num_layers=1, ff_dim=4, **stem).fit(X, y)
lstm.get_attention_weights(X[:3])
lstm.save(sys.argv[1])
load(sys.argv[1]).predict(X[:3])
search = GridSearchCV(lstm, {"dense_units": [3, 4]}, cv=2, n_jobs=2).fit(X, y)
print(json.dumps({
    "import_seconds": import_seconds,
    "tensorflow": sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")[:5],
}))
"""


@pytest.mark.backend
def test_jax_never_imports_tensorflow_in_the_process_or_its_search_workers(tmp_path):
    """Import, fit, attention, save, load and an n_jobs=2 search on JAX: no TensorFlow.

    TensorFlow costs about 2.5 s to import and prints C++ start-up lines to stderr; a worker
    that imported it would print them too, so the search's stderr must be free of them.
    """
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the lines would show if TensorFlow were imported
    result = subprocess.run(
        [sys.executable, "-c", _NO_TENSORFLOW_SCRIPT, str(tmp_path / "m.keras")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["tensorflow"] == []
    for marker in ("absl::InitializeLog", "cuda drivers", "oneDNN", "cpu_feature_guard"):
        assert marker not in result.stderr, result.stderr[-2000:]
