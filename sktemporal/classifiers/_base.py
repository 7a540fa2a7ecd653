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
from numbers import Integral, Real

import keras
import numpy as np
from scikeras.wrappers import BaseWrapper
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from sktemporal.classifiers._data_parallel import (
    distribution_scope,
    make_distribution,
    prediction_model,
    replica_count,
)
from sktemporal.classifiers._inference import (
    attention_maps,
    attention_model,
    forward,
    mean_attention,
)
from sktemporal.classifiers._keras_private import seeded
from sktemporal.classifiers._plan import plan_training
from sktemporal.classifiers._training import (
    channel_statistics,
    describe_optimizer,
    fit_on_windows,
    make_optimizer,
    training_callbacks,
)
from sktemporal.layers import WindowAugmentation
from sktemporal.networks import (
    ConvolutionalStem,
    DeepSupervision,
    auxiliary_head,
    dtype_policy_scope,
    spread_over_input_steps,
    sum_of_cross_entropies,
)

__all__ = ["BaseDeepClassifier", "DEFAULT_AUGMENTATION"]

#: Strengths of ``augmentation=True``: the magnitudes Iwana & Uchida (PLOS ONE, 2021) used for
#: scaling (0.1) and jittering (0.03, on standardised series), and shifts of up to a tenth of
#: the window.
DEFAULT_AUGMENTATION = {"shift": 0.1, "scale": 0.1, "noise": 0.03}


class BaseDeepClassifier(ClassifierMixin, BaseEstimator):
    """Shared machinery of the deep sequence classifiers.

    Subclasses declare their constructor parameters and implement :meth:`_build_network`,
    nothing else. Everything in ``fit`` — validation, label encoding, seeding, building,
    compiling, training with a time-ordered validation tail — and in prediction and attention
    extraction happens here.

    Parameters
    ----------
    stem_filters : tuple of int
        Filters of each block of the convolutional stem that reads the raw steps before the
        network's body (:class:`~sktemporal.networks.ConvolutionalStem`); ``()`` for no stem.
    stem_kernel_sizes : tuple of int
        Kernel size of each stem block.
    stem_max_steps : int
        Longest sequence the stem hands on; longer windows are max-pooled after its first block.
    deep_supervision : float
        Weight, in the training loss, of an auxiliary classification head on the stem's
        features averaged over time (:mod:`~sktemporal.networks.deep_supervision`). It trains
        the stem to extract features that classify on their own. ``0`` (or no stem) leaves it
        out.
    ensemble_heads : bool
        With the auxiliary head, whether ``predict_proba`` is the mean of both heads'
        probabilities (True) or the main head's alone (False).
    dense_units : int
        Units of the ``Dense(relu)`` layer of the classification head.
    dropout_rate : float
        Dropout rate, in the network body and in the head.
    epochs : int or "auto"
        Maximum number of passes over the training data. ``"auto"`` plans enough epochs for
        ``min_steps`` gradient steps, and at least 10.
    min_steps : int
        Gradient steps that ``epochs="auto"`` plans for at least: small data sets get many
        epochs, large ones few.
    batch_size : int
        Windows per gradient step.
    optimizer : str or keras.optimizers.Optimizer
        Keras optimizer name (e.g. ``"adamw"``) or instance. An instance is copied, never trained
        in place, so an estimator can be cloned and refitted, and is used as it is:
        ``learning_rate``, ``learning_rate_schedule``, ``weight_decay`` and ``gradient_clip``
        apply to a name only.
    learning_rate : float
        Peak learning rate given to the optimizer when ``optimizer`` is a name.
    learning_rate_schedule : {"cosine", "plateau", "constant"}
        ``"cosine"``: linear warm-up over the first 5 % of the planned steps, then cosine decay
        to 1 % of ``learning_rate``. ``"plateau"``: halve the rate when the monitored loss has
        not improved for a tenth of the planned epochs (at least 2). ``"constant"``: no
        schedule. ``partial_fit`` always trains at the constant ``learning_rate``.
    weight_decay : float
        Decoupled weight decay of the optimizer (``0`` for none).
    gradient_clip : float or None
        Largest norm of the gradient of each weight, clipped one weight at a time (Keras'
        ``clipnorm``); None disables clipping.
    validation_fraction : float
        Share of the training windows, taken from the **end** in time order, to hold out to
        monitor ``val_loss``. The tail is used only if it holds at least
        ``min_validation_windows`` windows and every class of the rows before it (a tail that
        lacks classes is what samples stored sorted by class give); otherwise every window is
        trained on and the training loss is monitored. ``0`` disables the hold-out.
    min_validation_windows : int
        Smallest validation tail worth monitoring.
    patience : int or None
        Epochs without improvement of ``val_loss`` before training stops. With or without a
        tail, the weights of the epoch with the best monitored loss are restored at the end;
        without a tail training never stops early. ``None`` disables both.
    normalize_inputs : bool
        Standardise each feature (channel) inside the network, with its mean and variance over
        the training windows, learned in ``fit`` (a ``keras.layers.Normalization`` layer), so
        that pipelines without a scaler train well too. ``partial_fit`` learns them from the
        windows of its first call and keeps them.
    augmentation : None, bool or dict
        Training-time augmentation of the windows after the input normalisation
        (:class:`~sktemporal.layers.WindowAugmentation`, seeded with ``random_state``):
        ``True`` for :data:`DEFAULT_AUGMENTATION`, a dict of some of its keys (``"shift"``,
        ``"scale"``, ``"noise"``; absent ones are off), None or False for none.
    precision : {"float32", "mixed_bfloat16", "mixed_float16"}
        Dtype policy given to this model's layers while they are built; Keras' process-wide
        policy is left as it is, so estimators with different settings share a process. The
        input normalisation, the attention scores' softmax and the output layer stay float32.
    class_weight : dict, "balanced" or None
        Weights by class label, multiplied into the sample weights of the training windows.
    callbacks : list of keras.callbacks.Callback or None
        Extra Keras callbacks for ``Model.fit``.
    random_state : int, RandomState instance or None
        Seed for weight initialisation, dropout and shuffling. An int makes ``fit`` repeatable on
        CPU.
    verbose : int
        Keras ``fit`` verbosity: 0 silent, 1 progress bar, 2 one line per epoch.
    checkpoint_dir : str, os.PathLike or None
        Folder where ``fit`` backs up the model and optimizer after every epoch (Keras
        ``BackupAndRestore``). A ``fit`` that is interrupted resumes there at the next call with
        the same folder, from the start of the epoch it was in; the backup is deleted when
        training completes.
    devices : None, "all" or list of str
        Devices to train on, data-parallel: each batch is split evenly over them and their
        gradients are averaged (``keras.distribution.DataParallel`` on JAX,
        ``tf.distribute.MirroredStrategy`` on TensorFlow). Names as
        ``keras.distribution.list_devices()`` gives them, e.g. ``["gpu:0", "gpu:1"]``; ``"all"``
        takes every accelerator (every CPU device when there is none). ``batch_size`` must be a
        multiple of the number of devices, and each epoch leaves out the last batch's remainder
        modulo that number. Prediction runs on one device. None trains on the default device.
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
        "augmentation": [dict, "boolean", None],
        "precision": [StrOptions({"float32", "mixed_bfloat16", "mixed_float16"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
        "checkpoint_dir": [str, os.PathLike, None],
        "devices": [StrOptions({"all"}), list, None],
    }

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
        if self.augmentation is None or self.augmentation is False:
            return None
        strengths = DEFAULT_AUGMENTATION if self.augmentation is True else self.augmentation
        unknown = sorted(set(strengths) - set(DEFAULT_AUGMENTATION), key=str)
        if unknown:
            raise ValueError(
                f"augmentation has unknown keys {unknown}; the keys are "
                f"{sorted(DEFAULT_AUGMENTATION)} (e.g. augmentation={DEFAULT_AUGMENTATION})."
            )
        # float32 under a mixed policy too: the noise is a small share of each value.
        return WindowAugmentation(**strengths, dtype="float32", name="augmentation")

    def _stem(self):
        """The convolutional stem the builders put before the body, or None without one."""
        if not self.stem_filters and not self.stem_kernel_sizes:
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
            notes = [*plan.notes, describe_optimizer(self, plan)]
            if self._has_auxiliary_head():
                predictions = (
                    "the mean of both heads' probabilities (ensemble_heads=True)"
                    if self.ensemble_heads
                    else "the main head (ensemble_heads=False)"
                )
                notes.append(
                    "an auxiliary head on the stem's features averaged over time adds its "
                    f"cross-entropy, weighted {self.deep_supervision:g}, to the training loss "
                    f"(deep_supervision); predictions come from {predictions}"
                )
            for note in notes:
                print(f"{type(self).__name__}: {note}.")
        self._train(
            X,
            y,
            weights,
            plan.train_rows,
            plan.validation_rows,
            epochs=plan.epochs,
            callbacks=training_callbacks(self, plan),
        )
        self.attention_weights_ = self._mean_attention(X)
        return self

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
        self._train(X, y, weights, rows, epochs=1, initial_epoch=self.current_epoch)
        self.attention_weights_ = self._mean_attention(X)
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
        """Sample weights times class weights (None when neither is set), and the rows to train on.

        Rows of weight 0 are left out, so a zero weight is exactly the same as removing the row.
        """
        rows = np.arange(len(X))
        if sample_weight is None and self.class_weight is None:
            return None, rows
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float32, ensure_non_negative=True
        )
        if self.class_weight is not None:
            class_weight = self.class_weight
            if isinstance(class_weight, dict):
                unknown = [label for label in class_weight if label not in self.classes_]
                if unknown:
                    raise ValueError(
                        f"class_weight names labels {unknown} that are not classes of y "
                        f"({self.classes_.tolist()})."
                    )
                class_weight = {
                    np.searchsorted(self.classes_, k): w for k, w in class_weight.items()
                }
            weights = weights * compute_sample_weight(class_weight, y).astype(np.float32)
        if not weights.any():
            raise ValueError("Every sample weight is 0: there is nothing to train on.")
        return weights, np.flatnonzero(weights)

    def _train(
        self, X, y, weights, rows, validation_rows=(), *, epochs, initial_epoch=0, callbacks=()
    ):
        """Run ``Model.fit`` through scikeras with ``callbacks`` added to the user's."""
        fit_callbacks = self._fit_callbacks
        self._fit_callbacks = [*fit_callbacks, *callbacks]
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
        preprocessing = []
        statistics = getattr(self, "_input_statistics", None)
        if statistics is not None:
            mean, variance = statistics
            # float32 under a mixed policy too: 16-bit floats would round large raw values
            # (prices in the thousands) to steps wider than their spread.
            preprocessing.append(
                keras.layers.Normalization(
                    axis=-1,
                    mean=mean,
                    variance=variance,
                    dtype="float32",
                    name="input_normalization",
                )
            )
        augmentation = self._augmentation()
        if augmentation is not None:
            preprocessing.append(augmentation)
        graph = self._build_network().build_network(
            (self.n_timesteps_, self.n_channels_), preprocessing=preprocessing
        )
        x = keras.layers.Dense(self.dense_units, activation="relu", name="head_dense")(
            graph.representation
        )
        x = keras.layers.Dropout(self.dropout_rate, name="head_dropout")(x)
        auxiliary = self._has_auxiliary_head()
        outputs = keras.layers.Dense(
            len(self.classes_),
            activation="softmax",
            dtype="float32",
            name="main_probabilities" if auxiliary else "probabilities",
        )(x)
        if auxiliary:
            stem_probabilities = auxiliary_head(
                graph.stem_features, len(self.classes_), self.dense_units, self.dropout_rate
            )
            outputs = DeepSupervision(
                self.deep_supervision,
                ensemble_heads=bool(self.ensemble_heads),
                dtype="float32",
                name="probabilities",
            )([outputs, stem_probabilities])
            compile_kwargs = {**compile_kwargs, "loss": sum_of_cross_entropies}
        model = keras.Model(graph.inputs, outputs, name=type(self).__name__)
        model.compile(**compile_kwargs)
        return model

    def _get_compile_kwargs(self):
        return {
            "optimizer": make_optimizer(self, getattr(self, "_plan", None)),
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        }

    # ------------------------------------------------------------------ input validation

    def _validate_inputs(self, X, y="no_validation", *, reset):
        """Check ``X`` (and ``y``) and return windows of shape (n, timesteps, n_features).

        A float array, such as the strided view from SlidingWindowTransformer, is returned
        without a copy; batches are cast to the Keras float type one at a time.
        """
        shape = np.shape(X) if hasattr(X, "shape") or isinstance(X, list) else None
        if shape is not None and len(shape) > 3:
            raise ValueError(
                "X must be 2-D (n_samples, timesteps) or 3-D (n_samples, timesteps, n_features); "
                f"got an array of shape {shape}."
            )
        if not reset and shape is not None and len(shape) == 3:
            self._check_window_shape(shape)
        kwargs = {"allow_nd": True, "dtype": [np.float32, np.float64], "reset": reset}
        validated = validate_data(self, X, y, **kwargs)
        X, y = validated if isinstance(validated, tuple) else (validated, None)
        if X.ndim == 2:
            X = X[:, :, np.newaxis]
        if 0 in X.shape[1:]:
            raise ValueError(
                f"X has windows of {X.shape[1]} time steps x {X.shape[2]} features; both must be "
                "at least 1."
            )
        if reset:
            self.n_timesteps_, self.n_channels_ = X.shape[1:]
        else:
            self._check_window_shape(X.shape)
        return X, y

    def _check_window_shape(self, shape):
        received = (shape[1], shape[2] if len(shape) == 3 else 1)
        if received != (self.n_timesteps_, self.n_channels_):
            raise ValueError(
                f"X has windows of {received[0]} time steps x {received[1]} features, but "
                f"{type(self).__name__} was fitted on {self.n_timesteps_} x {self.n_channels_}. "
                "Use the same sequence length and feature columns as in fit."
            )

    # ------------------------------------------------------------------ prediction

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

    # ------------------------------------------------------------------ attention

    def get_attention_maps(self, X):
        """Attention maps of every attention layer, first layer first.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, n_features) or (n_samples, timesteps)
            Windows shaped as in ``fit``.

        Returns
        -------
        list of ndarray of shape (n_samples, n_heads, n_queries, timesteps)
            ``maps[l][i, h, q, k]`` is the weight that query ``q`` of head ``h`` in layer ``l``
            gives to time step ``k`` of window ``i``; it sums to 1 over ``k``. Attention pooling
            (Attention-LSTM) has one head and one query. When the convolutional stem shortened
            the window by pooling ``s`` steps into one, attention is computed over the pooled
            steps: the queries are pooled steps, and each key's weight is shared equally by the
            ``s`` input steps it pools (see :func:`~sktemporal.networks.spread_over_input_steps`).
        """
        check_is_fitted(self)
        X, _ = self._validate_inputs(X, reset=False)
        return self._attention_maps(X)

    def _mean_attention(self, X):
        return self._to_input_steps(mean_attention(self._get_attention_model(), X))

    def _attention_maps(self, X):
        return [self._to_input_steps(m) for m in attention_maps(self._get_attention_model(), X)]

    def _to_input_steps(self, weights):
        """Spread attention over the stem's pooled steps back over the window's input steps.

        When the convolutional stem pooled ``s`` input steps into one, that step's weight is
        shared equally by the ``s`` input steps it covers, so each row still sums to 1.
        """
        stem = self._stem()
        stride = 1 if stem is None else stem.stride(self.n_timesteps_)
        return spread_over_input_steps(weights, stride, self.n_timesteps_)

    def get_attention_weights(self, X):
        """Attention each time step of each window receives in the last attention layer.

        Averaged over heads and queries, so each row is a distribution over time steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, n_features) or (n_samples, timesteps)
            Windows shaped as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, timesteps)
            Non-negative weights; each row sums to 1. Column ``-1`` is the window's last row.
        """
        return self.get_attention_maps(X)[-1].mean(axis=(1, 2))

    def _get_prediction_model(self):
        """``model_``, or a one-device model over its layers after a ``tf.distribute`` build.

        Absent after unpickling, when ``model_`` is a one-device model again.
        """
        model = getattr(self, "_prediction_model", None)
        return self.model_ if model is None else model

    def _get_attention_model(self):
        """Model from the input to each attention layer's weights (built once, not pickled)."""
        if getattr(self, "_attention_model", None) is None:
            self._attention_model = attention_model(self.model_)
        return self._attention_model

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
