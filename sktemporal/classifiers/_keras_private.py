"""Every use of private Keras API, in one place, each guarded.

Keras does not promise these names. Each function below checks that what it needs is there and
degrades when it is not: ``fit`` still works, and only loses what the private API gave (a
seeded fit's independence from other threads, one trace of the training step saved).
"""

import contextlib
import random

import keras
import numpy as np

try:  # Where Keras keeps the generator that seeds unseeded layers; private, may move.
    from keras.src.random import seed_generator as _keras_seed_generator
except ImportError:  # pragma: no cover - depends on the Keras version
    _keras_seed_generator = None

__all__ = ["build_training_state", "seeded"]


@contextlib.contextmanager
def seeded(seed):
    """Seed Keras, its backend, NumPy and ``random``; give NumPy and ``random`` back afterwards.

    Keras seeds the global NumPy and ``random`` generators too, which a scikit-learn user would
    not expect ``fit`` to do; their state is restored on exit.

    Keras draws the seed of every unseeded initializer and dropout layer from the process-wide
    ``random`` module, which any other thread may advance between seeding and drawing (a Dask
    worker's own threads do, within seconds), making a seeded fit differ from run to run.
    Inside the block those draws come from a private generator seeded with ``seed``: the same
    numbers ``random.seed(seed)`` gives, out of other threads' reach.
    """
    if seed is None:
        yield
        return
    # The legacy global generator is the one Keras seeds, so it is the one to restore.
    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    keras.utils.set_random_seed(seed)
    # Without the private generator, draws come from the shared ``random``: still seeded, but
    # no longer out of other threads' reach.
    private = getattr(_keras_seed_generator, "python_random", None) is not None
    if private:
        shared = _keras_seed_generator.python_random
        _keras_seed_generator.python_random = random.Random(seed)
    try:
        yield
    finally:
        if private:
            _keras_seed_generator.python_random = shared
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)


def build_training_state(model, batch):
    """Create the optimizer's and the metrics' variables before ``Model.fit`` traces its step.

    Keras on TensorFlow (without a distribution strategy) creates them while tracing the
    first training step, and ``tf.function`` must then trace that step a second time without
    variable creation: about 1.5 s more per fit for a small Attention-LSTM, measured, a third
    of a tiny fit and the bulk of a grid search's overhead. Building them first from one batch
    (what Keras itself does under a strategy, and on JAX and PyTorch) traces the step once;
    the trained weights are bit-identical. ``_symbolic_build`` is private Keras API: without
    it, fit still works and only loses the saving.
    """
    if keras.backend.backend() != "tensorflow":
        return
    symbolic_build = getattr(model, "_symbolic_build", None)
    if symbolic_build is not None:
        symbolic_build(data_batch=batch)
