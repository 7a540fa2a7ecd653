"""Settings for every test and doctest: JAX unless told, quiet TensorFlow, no screen needed.

The suite runs on the backend the ``sktemporal`` commands pick, JAX, unless ``KERAS_BACKEND``
says otherwise (CI also runs the classifiers' tests with ``KERAS_BACKEND=tensorflow``).

Under ``KERAS_BACKEND=jax`` most of a tiny test fit is XLA compiling it, so the suite asks XLA
for less optimised code (a test setting only; the library never sets it). JAX's on-disk
compilation cache is not used: shared by the xdist workers and the processes of the searches
they run, it crashed readers (segmentation faults in ``jax._src.compilation_cache``, seen in
the JAX suite on 2026-12-04).
"""

import os

# Fixtures shared by several test modules, registered here (pytest only reads this at the root).
pytest_plugins = ["tests._market_fixtures"]

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

if os.environ.get("KERAS_BACKEND") == "jax":
    os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
