"""Tests for sktemporal._quiet: the backends' start-up chatter stays off the terminal."""

import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from sktemporal._quiet import native_stderr_hidden, retracing_warnings_hidden
from tests.conftest import TINY_LSTM


def _stderr_of(code, **env):
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**environment, **env},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_importing_the_classifiers_prints_nothing():
    # Importing them imports Keras and, through scikeras, TensorFlow: its C++ start-up lines
    # ("All log messages before absl::InitializeLog() ...") are written to descriptor 2.
    assert _stderr_of("from sktemporal import AttentionLSTMClassifier") == ""


def test_hidden_output_comes_back_when_the_block_fails():
    code = (
        "import os, sys\n"
        "from sktemporal._quiet import native_stderr_hidden\n"
        "try:\n"
        "    with native_stderr_hidden() as own:\n"
        "        os.write(2, b'from C++\\n')\n"
        "        own.write('ours\\n')\n"
        "        raise RuntimeError\n"
        "except RuntimeError:\n"
        "    pass\n"
        "with native_stderr_hidden() as own:\n"
        "    os.write(2, b'hidden\\n')\n"
        "print('after', file=sys.stderr)\n"
    )
    assert _stderr_of(code).splitlines() == ["ours", "from C++", "after"]


def test_a_captured_stderr_is_left_alone(capsys):
    with native_stderr_hidden() as own:
        print("kept", file=own)
    assert capsys.readouterr().err == "kept\n"


def test_the_tensorflow_logger_level_is_restored():
    logger = logging.getLogger("tensorflow")
    before = logger.level
    with retracing_warnings_hidden():
        assert logger.level >= logging.ERROR
    assert logger.level == before


def test_fits_and_predictions_in_a_row_log_no_retracing_warning(caplog):
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow's tf.function retracing is what is tested")
    from sktemporal import AttentionLSTMClassifier

    X = np.random.default_rng(0).normal(size=(40, 6, 2)).astype("float32")
    y = (X[:, -1, 0] > 0).astype(int)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for seed in range(6):  # TensorFlow warns from the fifth new function on
            params = {**TINY_LSTM, "epochs": 1, "random_state": seed}
            AttentionLSTMClassifier(**params).fit(X, y).predict_proba(X[: 5 + seed])
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
