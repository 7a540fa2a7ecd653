"""Settings for every test and doctest: JAX unless told, quiet TensorFlow, no screen needed.

The suite runs on the backend the ``sktemporal`` commands pick, JAX, unless ``KERAS_BACKEND``
says otherwise (CI also runs the classifiers' tests with ``KERAS_BACKEND=tensorflow``).

Under ``KERAS_BACKEND=jax`` most of a tiny test fit is XLA compiling it, so the suite asks XLA
for less optimised code and keeps compiled programs in an on-disk cache shared by the test
processes (measured: a test of two tiny fits, 42 s -> 20 s, 14 s with a warm cache). These are
test settings only; the library never sets them.
"""

import os
import tempfile

# Fixtures shared by several test modules, registered here (pytest only reads this at the root).
pytest_plugins = ["tests._market_fixtures"]

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

if os.environ.get("KERAS_BACKEND") == "jax":
    os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
    os.environ.setdefault(
        "JAX_COMPILATION_CACHE_DIR",
        os.path.join(tempfile.gettempdir(), f"sktemporal-tests-jax-cache-{os.getuid()}"),
    )
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
