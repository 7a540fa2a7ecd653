"""The one base of sktemporal's deep classifiers, and the only module that touches scikeras.

scikeras 0.13 is unmaintained and out of step with scikit-learn ≥ 1.6: its ``KerasClassifier``
puts ``ClassifierMixin`` after its base (so ``is_classifier`` is False), and its ``BaseWrapper``
still defines the removed ``_more_tags`` hook, reads parameters from ``vars(self)`` and routes
``fit__``/``model__`` prefixes. Inheriting from either would fail scikit-learn's checks. The base
below is therefore a plain scikit-learn classifier that *borrows* from ``BaseWrapper`` only its
Keras plumbing, by name: building through ``_keras_build_fn``, setting up callbacks, running
``Model.fit`` under a fixed seed and collecting ``history_``. Importing scikeras also makes Keras
models picklable. Should scikeras break further, this module is the one to replace.

The estimator API lives here: parameters and their validation, input checks, label encoding,
``fit``/``partial_fit``/``predict``. Beside it, private modules hold the rest: the training
plan (``_plan``), the training loop with its optimizer, callbacks and seeding (``_training``),
chunked forward passes and attention extraction (``_inference``), batches cut from windows
(``_batches``), data parallelism (``_data_parallel``) and every use of private Keras API
(``_keras_private``).
"""

import os
import sys
from numbers import Integral, Real

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from sktemporal._documentation import DocumentationLinkMixin
from sktemporal._quiet import single_step_softmax_notes_hidden
from sktemporal.classifiers._data_parallel import (
    distribution_scope,
    make_distribution,
    prediction_model,
    replica_count,
)
from sktemporal.classifiers._explanations import ExplanationMixin
from sktemporal.classifiers._inference import (
    forward,
)
from sktemporal.classifiers._keras_private import (
    schedule_steps_as_state,
    seeded,
    tensorflow_only_when_imported,
)
from sktemporal.classifiers._model import augmentation_layer, build_classifier_model
from sktemporal.classifiers._plan import plan_training
from sktemporal.classifiers._training import (
    PredictionLoss,
    channel_statistics,
    describe_heads,
    describe_optimizer,
    fit_on_windows,
    make_optimizer,
    training_callbacks,
)
from sktemporal.classifiers._validation import training_weights, validate_windows
from sktemporal.networks import (
    ConvolutionalStem,
    dtype_policy_scope,
)

__all__ = ["BaseDeepClassifier"]


def _import_scikeras_wrappers():
    """Import ``scikeras.wrappers``, keeping TensorFlow out unless it is Keras' backend.

    scikeras' random-state helper runs ``try: import tensorflow`` at import time, and falls
    back to doing nothing for TensorFlow when that fails. Off TensorFlow nothing here runs on
    TensorFlow, so the import is made to fail for scikeras alone: importing TensorFlow would
    cost about 2.5 s and print its C++ start-up lines in every process, ``n_jobs`` workers
    included. The entry is removed afterwards, so a later ``import tensorflow`` works.
    """
    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules:
        from scikeras import wrappers
    else:
        sys.modules["tensorflow"] = None  # makes `import tensorflow` raise ImportError
        try:
            from scikeras import wrappers
        finally:
            del sys.modules["tensorflow"]
    return wrappers


BaseWrapper = _import_scikeras_wrappers().BaseWrapper
tensorflow_only_when_imported()


_WARM_START_MESSAGE = (
    "{name} has no warm_start parameter: fit always trains a new network. To continue "
    "training the fitted one, call partial_fit(X, y), one epoch per call."
)


class BaseDeepClassifier(DocumentationLinkMixin, ExplanationMixin, ClassifierMixin, BaseEstimator):
    """Shared machinery of the deep sequence classifiers.

    Subclasses declare their constructor parameters and implement :meth:`_build_network`,
    nothing else. Everything in ``fit`` — validation, label encoding, seeding, building,
    compiling, training with a time-ordered validation tail — and in prediction and attention
    extraction happens here.

    The parameters are documented once, in :mod:`~sktemporal.classifiers._docstrings`, and
    shown in full on :class:`~sktemporal.AttentionLSTMClassifier` and
    :class:`~sktemporal.TransformerClassifier`.
    """

    _parameter_constraints = {
        "stem_filters": [tuple],
        "stem_kernel_sizes": [tuple],
        "stem_max_steps": [Interval(Integral, 1, None, closed="left")],
        "deep_supervision": [Interval(Real, 0, None, closed="left")],
        "ensemble_heads": ["boolean"],
        "dense_units": [Interval(Integral, 1, None, closed="left")],
        "dropout_rate": [Interval(Real, 0, 1, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "min_steps": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [str, HasMethods(["apply_gradients", "get_config"])],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"cosine", "plateau", "constant"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "gradient_clip": [Interval(Real, 0, None, closed="neither"), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "min_validation_windows": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "normalize_inputs": ["boolean"],
        "store_attention": ["boolean"],
        "augmentation": [dict, "boolean", None],
        "precision": [StrOptions({"float32", "mixed_bfloat16", "mixed_float16"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
        "checkpoint_dir": [str, os.PathLike, None],
        "devices": [StrOptions({"all"}), list, None],
    }

    def __new__(cls, *args, **kwargs):
        if "warm_start" in kwargs:
            raise TypeError(_WARM_START_MESSAGE.format(name=cls.__name__))
        return super().__new__(cls)

    def set_params(self, **params):
        """Set parameters, as :meth:`sklearn.base.BaseEstimator.set_params` does.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : object
        """
        if "warm_start" in params:
            raise ValueError(_WARM_START_MESSAGE.format(name=type(self).__name__))
        return super().set_params(**params)

    # Parameters that scikeras' ``_fit_keras_model`` forwards from ``get_params`` to Model.fit
    # (batches are cut by WindowBatches, so batch_size is not one of them).
    _fit_kwargs = {"verbose"}

    def __init__(
        self,
        *,
        stem_filters,
        stem_kernel_sizes,
        stem_max_steps,
        deep_supervision,
        ensemble_heads,
        dense_units,
        dropout_rate,
        epochs,
        min_steps,
        batch_size,
        optimizer,
        learning_rate,
        learning_rate_schedule,
        weight_decay,
        gradient_clip,
        validation_fraction,
        min_validation_windows,
        patience,
        normalize_inputs,
        store_attention,
        augmentation,
        precision,
        class_weight,
        callbacks,
        random_state,
        verbose,
        checkpoint_dir,
        devices,
    ):
        self.stem_filters = stem_filters
        self.stem_kernel_sizes = stem_kernel_sizes
        self.stem_max_steps = stem_max_steps
        self.deep_supervision = deep_supervision
        self.ensemble_heads = ensemble_heads
        self.dense_units = dense_units
        self.dropout_rate = dropout_rate
        self.epochs = epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.weight_decay = weight_decay
        self.gradient_clip = gradient_clip
        self.validation_fraction = validation_fraction
        self.min_validation_windows = min_validation_windows
        self.patience = patience
        self.normalize_inputs = normalize_inputs
        self.store_attention = store_attention
        self.augmentation = augmentation
        self.precision = precision
        self.class_weight = class_weight
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.devices = devices

    # Keras plumbing borrowed from scikeras (see the module docstring). They read
    # ``_fit_kwargs``, ``_random_state``, ``_fit_callbacks``, ``model_`` and ``history_``.
    _build_keras_model = BaseWrapper._build_keras_model
    _initialize_callbacks = BaseWrapper._initialize_callbacks
    _fit_keras_model = BaseWrapper._fit_keras_model
    current_epoch = BaseWrapper.current_epoch

    def _build_network(self):
        """Return the network builder (see :mod:`sktemporal.networks`) for these parameters."""
        raise NotImplementedError

    def _augmentation(self):
        """The augmentation layer for ``augmentation``, or None; checks the parameter."""
        return augmentation_layer(self.augmentation)

    def _stem(self):
        """The convolutional stem the builders put before the body, or None without one."""
        if not self.stem_filters:
            return None
        # tf.distribute replicas would otherwise normalise by their own share of the batch.
        synchronized = self.devices is not None and keras.backend.backend() == "tensorflow"
        return ConvolutionalStem(
            self.stem_filters, self.stem_kernel_sizes, self.stem_max_steps, synchronized
        )

    def _has_auxiliary_head(self):
        """Whether the network gets the auxiliary head of ``deep_supervision`` (needs a stem)."""
        return bool(self.deep_supervision) and self._stem() is not None

    # ------------------------------------------------------------------ fitting

    @single_step_softmax_notes_hidden
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train a new network on windows ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, n_features) or (n_samples, timesteps)
            Windows in time order (e.g. from :class:`~sktemporal.SlidingWindowTransformer`). A 2-D
            array is read as univariate sequences.
        y : array-like of shape (n_samples,)
            Class labels of any type (ints such as -1/0/1, strings...).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each window in the loss. Windows of weight 0 are left out.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        X, y = self._validate_training_data(X, y)
        weights, rows = self._training_weights(X, y, sample_weight)
        self._distribution = make_distribution(self.devices, self.batch_size)
        plan = plan_training(
            rows,
            y,
            epochs=self.epochs,
            batch_size=self.batch_size,
            min_steps=self.min_steps,
            validation_fraction=self.validation_fraction,
            min_validation_windows=self.min_validation_windows,
            batch_multiple=replica_count(self._distribution),
        )
        self._build(X, plan.train_rows, plan)
        if self.verbose:
            for note in [*plan.notes, describe_optimizer(self, plan), *describe_heads(self)]:
                print(f"{type(self).__name__}: {note}.")
        prediction_loss = self._prediction_loss(X, y, weights, plan.train_rows)
        # The schedule's variables are created under the distribution, like the network's.
        with distribution_scope(self._distribution), schedule_steps_as_state(self.model_):
            self._train(
                X,
                y,
                weights,
                plan.train_rows,
                plan.validation_rows,
                epochs=plan.epochs,
                callbacks=training_callbacks(self, plan, prediction_loss),
                prediction_loss=prediction_loss,
            )
        self.attention_weights_ = self._mean_attention(X) if self.store_attention else None
        return self

    @single_step_softmax_notes_hidden
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch, building the network on the first call.

        No validation tail is held out and early stopping does not apply.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, n_features) or (n_samples, timesteps)
            Windows in time order.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever be seen. Required on the first call when ``y`` does not
            hold every class; ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each window in the loss.

        Returns
        -------
        self : object
            The updated classifier.
        """
        first_call = not hasattr(self, "model_")
        if first_call:
            self._validate_params()
            X, y = self._validate_training_data(X, y, classes=classes)
        else:
            X, y = self._validate_inputs(X, y, reset=False)
            y = self._encode_labels(y)
        weights, rows = self._training_weights(X, y, sample_weight)
        if first_call:
            self._distribution = make_distribution(self.devices, self.batch_size)
            self._build(X, rows)
        self._train(
            X,
            y,
            weights,
            rows,
            epochs=1,
            initial_epoch=self.current_epoch,
            prediction_loss=self._prediction_loss(X, y, weights, rows),
        )
        self.attention_weights_ = self._mean_attention(X) if self.store_attention else None
        return self

    def _validate_training_data(self, X, y, classes=None):
        """Check every input and parameter, set ``classes_``; return X and encoded labels.

        Runs before any Keras code, so bad input fails here with a message that names it.
        """
        X, y = self._validate_inputs(X, y, reset=True)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y if classes is None else np.concatenate([classes, y]))
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"y contains only one class ({self.classes_[0]!r}); a classifier needs samples "
                "of at least two classes."
            )
        self._build_network()  # builders check their own hyper-parameters
        self._augmentation()
        self._get_compile_kwargs()
        for position, callback in enumerate(self.callbacks or []):
            if not isinstance(callback, keras.callbacks.Callback):
                raise ValueError(
                    f"callbacks[{position}] is a {type(callback).__name__}, not a "
                    "keras.callbacks.Callback instance."
                )
        return X, encoder.transform(y)

    def _build(self, X, rows, plan=None):
        """Seed, then build and compile a fresh network (through scikeras).

        The input normalisation learns its statistics from ``X[rows]``; a ``plan`` sets the
        learning-rate schedule (None: constant rate).
        """
        seed = self._seed()
        self._random_state = seed  # read by scikeras around Model.fit
        # Read by _keras_build_fn and _get_compile_kwargs while scikeras builds the model.
        self._plan = plan
        self._input_statistics = channel_statistics(X, rows) if self.normalize_inputs else None
        try:
            with (
                seeded(seed),
                distribution_scope(self._distribution),
                dtype_policy_scope(self.precision),
            ):
                self.model_ = self._build_keras_model()
        finally:
            self._plan = self._input_statistics = None
        self._prediction_model = prediction_model(self.model_)  # outside the scope
        self._initialize_callbacks()
        self._attention_model = None

    def _seed(self):
        if self.random_state is None:
            return None
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _encode_labels(self, y):
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} not seen in the first call to partial_fit "
                f"(classes {self.classes_.tolist()}); pass all classes with `classes=`."
            )
        return np.searchsorted(self.classes_, y)

    def _training_weights(self, X, y, sample_weight):
        """Sample weights times class weights, and the rows to train on (see training_weights)."""
        return training_weights(X, y, sample_weight, self.class_weight, self.classes_)

    def _prediction_loss(self, X, y, weights, rows):
        """The callback that records ``loss`` like ``val_loss``, with an auxiliary head only."""
        if not self._has_auxiliary_head():
            return None
        return PredictionLoss(
            X,
            y,
            weights,
            rows,
            batch_size=self.batch_size,
            batch_multiple=replica_count(getattr(self, "_distribution", None)),
        )

    def _train(
        self,
        X,
        y,
        weights,
        rows,
        validation_rows=(),
        *,
        epochs,
        initial_epoch=0,
        callbacks=(),
        prediction_loss=None,
    ):
        """Run ``Model.fit`` through scikeras with ``callbacks`` added to the user's.

        ``prediction_loss`` runs before every other callback, the user's included, so that
        they all read the loss of the predictions as ``loss``.
        """
        fit_callbacks = self._fit_callbacks
        leading = [] if prediction_loss is None else [prediction_loss]
        callbacks = [c for c in callbacks if c is not prediction_loss]
        self._fit_callbacks = [*leading, *fit_callbacks, *callbacks]
        try:
            fit_on_windows(
                self._fit_keras_model,
                self.model_,
                X,
                y,
                weights,
                rows,
                validation_rows,
                batch_size=self.batch_size,
                seed=self._random_state,
                # Absent after unpickling: the model then trains on one device.
                distribution=getattr(self, "_distribution", None),
                epochs=epochs,
                initial_epoch=initial_epoch,
            )
        finally:
            self._fit_callbacks = fit_callbacks
        self.n_iter_ = len(self.history_["loss"])

    # ------------------------------------------------------------------ the Keras model

    def _check_model_param(self):
        # scikeras hook: the network always comes from ``_keras_build_fn``.
        return self._keras_build_fn

    def _keras_build_fn(self, compile_kwargs):
        """Network body from the subclass's builder, classification head, compiled."""
        return build_classifier_model(
            self._build_network(),
            (self.n_timesteps_, self.n_channels_),
            len(self.classes_),
            dense_units=self.dense_units,
            dropout_rate=self.dropout_rate,
            input_statistics=getattr(self, "_input_statistics", None),
            augmentation=self._augmentation(),
            auxiliary_weight=self.deep_supervision if self._has_auxiliary_head() else 0,
            ensemble_heads=bool(self.ensemble_heads),
            name=type(self).__name__,
            compile_kwargs=compile_kwargs,
        )

    def _get_compile_kwargs(self):
        return {
            "optimizer": make_optimizer(self, getattr(self, "_plan", None)),
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        }

    # ------------------------------------------------------------------ input validation

    def _validate_inputs(self, X, y="no_validation", *, reset):
        """Check ``X`` (and ``y``); windows of shape (n, timesteps, n_features) and ``y``."""
        return validate_windows(self, X, y, reset=reset)

    # ------------------------------------------------------------------ prediction

    @single_step_softmax_notes_hidden
    def predict_proba(self, X):
        """Class probabilities for each window.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, n_features) or (n_samples, timesteps)
            Windows shaped as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; each row sums to 1.
        """
        check_is_fitted(self)
        X, _ = self._validate_inputs(X, reset=False)
        probabilities = forward(self._get_prediction_model(), X)[0]
        # The network's float32 softmax sums to 1 only to float32 precision; scikit-learn's
        # log_loss checks float64 rows to ~1e-8 and warns otherwise.
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each window.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, n_features) or (n_samples, timesteps)
            Windows shaped as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def _get_prediction_model(self):
        """``model_``, or a one-device model over its layers after a ``tf.distribute`` build.

        Absent after unpickling, when ``model_`` is a one-device model again.
        """
        model = getattr(self, "_prediction_model", None)
        return self.model_ if model is None else model

    # ------------------------------------------------------------------ persistence, tags

    def save(self, path):
        """Save the fitted classifier to one ``.keras`` file; :func:`sktemporal.load` reads it.

        Parameters
        ----------
        path : str or os.PathLike
            Destination, ending in ``.keras``.
        """
        from sktemporal.classifiers._model_file import save_classifier

        save_classifier(self, path)

    def _prepare_loaded_model(self):
        """Set the state ``fit`` leaves beside ``model_``, for a model read from a file."""
        self._initialize_callbacks()
        self._random_state = self._seed()

    def __sklearn_is_fitted__(self):
        # Set last by fit, partial_fit and load: a fit that failed part-way is not fitted.
        return hasattr(self, "attention_weights_")

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_attention_model", None)
        state.pop("_prediction_model", None)
        state.pop("_distribution", None)  # holds devices, which do not pickle
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
