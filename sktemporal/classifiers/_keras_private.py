"""Every use of private Keras API, in one place, each guarded.

Keras does not promise these names. Each function below checks that what it needs is there and
degrades when it is not: ``fit`` still works, and only loses what the private API gave (a
seeded fit's independence from other threads, one trace of the training step saved).
"""

import contextlib
import random
import sys

import keras
import numpy as np

from sktemporal.classifiers._schedule import WarmupCosineDecay

try:  # Where Keras keeps the generator that seeds unseeded layers; private, may move.
    from keras.src.random import seed_generator as _keras_seed_generator
except ImportError:  # pragma: no cover - depends on the Keras version
    _keras_seed_generator = None
try:  # Where keras.utils.set_random_seed records the seed; private, may move.
    from keras.src.backend.common import global_state as _keras_global_state
    from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED as _GLOBAL_RANDOM_SEED
except ImportError:  # pragma: no cover - depends on the Keras version
    _keras_global_state = None

try:  # Keras' lazy handle on TensorFlow, queried by ``tf.available``; private, may move.
    from keras.src.utils import module_utils as _keras_module_utils
except ImportError:  # pragma: no cover - depends on the Keras version
    _keras_module_utils = None

__all__ = [
    "build_training_state",
    "schedule_steps_as_state",
    "seeded",
    "set_random_seed",
    "tensorflow_only_when_imported",
    "variable_values",
]


def tensorflow_only_when_imported():
    """Stop Keras from importing TensorFlow on another backend just to ask whether it is there.

    Off TensorFlow, Keras still asks ``tf.available`` in about 17 places (serialising a
    ``Bidirectional`` layer, saving, ``Normalization``, ...), each to test whether an object
    is a TensorFlow one (``isinstance(obj, tf.TensorShape)``); the first question imports
    TensorFlow (about 2.5 s and its C++ start-up lines in every process). No object can be a
    TensorFlow one before TensorFlow is imported, so the handle answers "available" only once
    something else has imported it (a ``tf.data`` pipeline of the user's, say), and then
    exactly as before. On TensorFlow, and if Keras moves the handle, nothing changes.
    """
    if keras.backend.backend() == "tensorflow" or _keras_module_utils is None:
        return
    handle = getattr(_keras_module_utils, "tensorflow", None)
    if type(handle) is _keras_module_utils.LazyModule:
        handle.__class__ = _ImportedTensorFlowOnly


if _keras_module_utils is not None:

    class _ImportedTensorFlowOnly(_keras_module_utils.LazyModule):
        """Keras' lazy TensorFlow handle, available only once TensorFlow has been imported."""

        @property
        def available(self):
            if "tensorflow" not in sys.modules:
                return False
            return super().available


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
    set_random_seed(seed)
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


def set_random_seed(seed):
    """``keras.utils.set_random_seed(seed)``, without importing TensorFlow on other backends.

    Keras' function also seeds TensorFlow whenever TensorFlow is installed, for ``tf.data``
    pipelines, and imports it to do so (about 2.5 s, and its C++ start-up lines) even on JAX
    or PyTorch, where nothing here uses it. Off TensorFlow this does the rest of what Keras'
    function does, in its order, so the same seed gives the same numbers.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow" or _keras_global_state is None or _keras_seed_generator is None:
        keras.utils.set_random_seed(seed)
        return
    _keras_global_state.set_global_attribute(_GLOBAL_RANDOM_SEED, seed)
    _keras_global_state.set_global_attribute(_keras_seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - Keras seeds the legacy global generator
    if backend == "torch":
        import torch

        torch.manual_seed(seed)


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


def variable_values(variables):
    """The current values of Keras variables, read outside any layer call.

    ``Variable.value`` checks Keras' stateless and autocast scopes on every read, about 0.6 us
    a variable: a tenth of a one-window prediction of a model of 50 variables. Outside a
    layer call neither scope is active and the value is the stored array ``_value``, read
    directly when it is there (``value`` otherwise, e.g. while JAX's ``fit`` holds the state).
    """
    values = [getattr(v, "_value", None) for v in variables]
    return [
        v.value if value is None else value for v, value in zip(variables, values, strict=True)
    ]


@contextlib.contextmanager
def schedule_steps_as_state(model):
    """While training on JAX, hold the schedule's step counts in variables of the optimizer.

    A :class:`~sktemporal.classifiers._schedule.WarmupCosineDecay` with its step counts as
    numbers makes them constants of the compiled training step, so the folds of a
    cross-validation (each with its own number of steps) compile a training step each. As
    optimizer variables they are inputs of the step instead: networks of one architecture,
    input shape and batch shape then compile to the same program, which JAX's persistent
    compilation cache shares across fits and processes. The learning rates are the same.

    The variables are untracked again afterwards, so that a saved or pickled model holds the
    optimizer variables that Keras recreates from its configuration when loading it, and the
    training function is dropped so that a later ``partial_fit`` traces one without them.
    ``_untrack_variable`` and ``_learning_rate`` are private Keras API: without them, and off
    JAX (whose compilation cache this is for), nothing changes.
    """
    optimizer = getattr(model, "optimizer", None)
    schedule = getattr(optimizer, "_learning_rate", None)
    if (
        keras.backend.backend() != "jax"
        or not isinstance(schedule, WarmupCosineDecay)
        or not hasattr(optimizer, "_untrack_variable")
    ):
        yield
        return
    variables = tuple(
        optimizer.add_variable(
            shape=(), initializer=keras.initializers.Constant(value), dtype="float32", name=name
        )
        for name, value in schedule.state_values().items()
    )
    schedule.state_variables = variables
    try:
        yield
    finally:
        schedule.state_variables = None
        for variable in variables:
            optimizer._untrack_variable(variable)
        model.train_function = None
