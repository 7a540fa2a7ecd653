"""Fits of one architecture and shape share their compiled programs through JAX's cache.

Each fit builds a fresh network; its input statistics and schedule step counts are variables
rather than constants, so networks trained on different data compile to the same programs,
and the command line's compilation cache (``compilations_shared``) compiles each once.
Run in a fresh process: JAX's persistent cache is configured before its first compilation.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax")

_SCRIPT = textwrap.dedent(
    """
    import json, logging, os, sys
    from sktemporal.cli.backend import compilations_shared

    hits = []

    class Record(logging.Handler):
        def emit(self, record):
            message = record.getMessage()
            if "Persistent compilation cache hit for" in message:
                hits.append(message.split("'")[1])

    for name in ("jax._src.compiler", "jax._src.dispatch"):
        logger = logging.getLogger(name)
        logger.addHandler(Record())
        logger.setLevel(logging.DEBUG)
        logger.propagate = False

    with compilations_shared():
        cache = os.environ["JAX_COMPILATION_CACHE_DIR"]
        import numpy as np
        from sktemporal import AttentionLSTMClassifier

        rng = np.random.default_rng(0)
        for n_windows, scale in ((160, 1.0), (320, 50.0)):
            X = rng.normal(2.0, scale, size=(n_windows, 12, 3)).astype("float32")
            y = rng.integers(0, 3, n_windows)
            AttentionLSTMClassifier(
                lstm_units=(4,), attention_units=3, dense_units=4, stem_filters=(4,),
                stem_kernel_sizes=(3,), epochs=2, batch_size=16, random_state=0,
                min_validation_windows=16,
            ).fit(X, y)
    print(json.dumps({"hits": hits, "cache_removed": not os.path.exists(cache)}))
    """
)


def test_two_fits_on_different_data_compile_the_training_step_once():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_LOG_COMPILES": "1"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The second fit (other statistics, twice the steps, the same batch shape of 16) reads the
    # first fit's training and evaluation steps from the cache instead of compiling them.
    assert "jit_train_step" in result["hits"]
    assert "jit_test_step" in result["hits"]
    assert result["cache_removed"]


_AFTER_THE_COMMAND = textwrap.dedent(
    """
    import warnings
    from sktemporal.cli.backend import compilations_shared

    with compilations_shared():
        import jax
        import jax.numpy as jnp

        jax.jit(lambda x: jnp.sin(x) * 2)(jnp.ones(3)).block_until_ready()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a write to the removed cache folder would warn
        jax.jit(lambda x: jnp.cos(x) + 1)(jnp.ones(4)).block_until_ready()
    print(jax.config.jax_compilation_cache_dir)
    """
)


def test_a_process_that_goes_on_after_the_command_compiles_without_the_removed_cache():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", _AFTER_THE_COMMAND],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "None"
