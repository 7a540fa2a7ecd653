"""Attention-LSTM classifier: stacked bidirectional LSTMs pooled by additive attention."""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from sktemporal.classifiers._base import BaseDeepClassifier
from sktemporal.networks import AttentionLSTMNetwork

__all__ = ["AttentionLSTMClassifier"]


class AttentionLSTMClassifier(BaseDeepClassifier):
    """Classify windows with stacked (bidirectional) LSTMs and additive attention.

    Network: per-feature input normalisation (statistics learned in ``fit``), a convolutional
    stem (``[Conv1D → BatchNormalization → ReLU]`` blocks that read the raw steps and, for
    windows longer than ``stem_max_steps``, max-pool them to a shorter sequence, after
    ALSTM-FCN's convolutional branch), then ``[(Bi)LSTM → Dropout] × len(lstm_units)``, with
    residual connections and layer normalisation between recurrent layers, then additive
    attention over the time steps: a softmax-normalised weight per step and the weighted sum of
    the steps (the context vector), which feeds ``Dense(dense_units, relu) → Dropout →
    Dense(n_classes, softmax)``. The weights are real attention, learned per window, and are
    exposed by :meth:`get_attention_weights`; when the stem pooled ``s`` steps into one, each
    pooled step's weight is shared equally by the input steps it covers.

    Training adapts to the data: ``epochs="auto"`` plans at least ``min_steps`` gradient steps
    (many epochs for a few hundred windows, few for a hundred thousand), AdamW with gradient
    clipping and a warm-up + cosine learning-rate schedule, and a validation tail only when
    it is large enough and holds every class; ``verbose=1`` prints each choice and why.

    Parameters
    ----------
    lstm_units : int or tuple of int, default=(128, 64)
        Units per LSTM layer; an int means a single layer.
    attention_units : int, default=64
        Size of the attention scoring space.
    dropout_rate : float, default=0.3
        Dropout after each recurrent layer and in the head.
    bidirectional : bool, default=True
        Read each window in both directions. A window holds only rows up to its last one, so
        the backward direction sees no future.
    l2_regularization : float, default=0.0
        L2 penalty on the LSTM kernels.
    stem_filters : tuple of int, default=(128, 256, 128)
        Filters of the convolutional stem's blocks (``Conv1D → BatchNormalization → ReLU``),
        which read the raw steps before the LSTMs; ``()`` feeds the raw steps to the LSTMs.
    stem_kernel_sizes : tuple of int, default=(8, 5, 3)
        Kernel size of each stem block.
    stem_max_steps : int, default=64
        Longest sequence the stem hands to the LSTMs: longer windows are max-pooled after the
        first stem block, ``ceil(timesteps / stem_max_steps)`` steps into one.
    deep_supervision : float, default=1.0
        Weight of an auxiliary head's cross-entropy in the training loss: a second classifier
        on the stem's features averaged over time, trained beside the main head so that the
        stem learns features that classify on their own rather than leaving the whole fit to
        the LSTMs (deep supervision, Lee et al., AISTATS 2015). ``0`` leaves the auxiliary
        head out; without a stem there is none.
    ensemble_heads : bool, default=True
        With the auxiliary head, ``predict_proba`` is the mean of its probabilities and the
        main head's: a two-member ensemble of the attention network and the stem's fully
        convolutional classifier, as ALSTM-FCN pairs them (Karim et al., 2018). ``False``
        predicts from the main head alone. ``attention_weights_`` describe the main head.
    dense_units : int, default=64
        Units of the head's ``Dense(relu)`` layer.
    epochs : int or "auto", default="auto"
        Maximum number of passes over the training windows. ``"auto"`` plans enough epochs
        for ``min_steps`` gradient steps, and at least 10.
    min_steps : int, default=1000
        Gradient steps that ``epochs="auto"`` plans for at least.
    batch_size : int, default=32
        Windows per gradient step.
    optimizer : str or keras.optimizers.Optimizer, default="adamw"
        Optimizer name or instance (an instance is copied, never trained in place, and used as
        it is: the four options below apply to a name only).
    learning_rate : float, default=0.001
        Peak learning rate when ``optimizer`` is a name.
    learning_rate_schedule : {"cosine", "plateau", "constant"}, default="cosine"
        ``"cosine"``: warm-up over the first 5 % of the planned steps, then cosine decay to 1 %
        of ``learning_rate``; ``"plateau"``: halve it when the monitored loss stalls;
        ``"constant"``: no schedule.
    weight_decay : float, default=0.01
        Decoupled weight decay (AdamW's); 0 for none.
    gradient_clip : float or None, default=1.0
        Largest norm of the gradient of each weight (Keras' ``clipnorm``, applied weight by
        weight); None disables clipping.
    validation_fraction : float, default=0.1
        Share of the training windows taken from the **end**, in time order, to monitor
        ``val_loss`` — used only when that tail holds at least ``min_validation_windows``
        windows and every class of the rows before it; otherwise the training loss is
        monitored. 0 disables the hold-out.
    min_validation_windows : int, default=200
        Smallest validation tail worth monitoring.
    patience : int or None, default=10
        Epochs without a better ``val_loss`` before training stops. The weights of the epoch
        with the best monitored loss (validation, else training) are restored at the end.
        ``None`` disables both.
    normalize_inputs : bool, default=True
        Standardise each feature inside the network with statistics learned in ``fit``.
    augmentation : None, bool or dict, default=None
        Random shift in time, magnitude scaling and noise of the training windows, drawn per
        batch and never applied at prediction
        (:class:`~sktemporal.layers.WindowAugmentation`). ``True`` gives
        ``{"shift": 0.1, "scale": 0.1, "noise": 0.03}``; a dict sets some of them (the others
        are off); None or False: no augmentation.
    precision : {"float32", "mixed_bfloat16", "mixed_float16"}, default="float32"
        Dtype policy of this model's layers (never Keras' process-wide one): mixed policies
        compute in 16 bits and keep weights, input normalisation, attention weights and
        probabilities in float32; ``"mixed_float16"`` scales the loss.
    class_weight : dict, "balanced" or None, default=None
        Weights by class label, applied to the training loss.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks.
    random_state : int, RandomState instance or None, default=None
        Seed for initialisation, dropout and shuffling; an int makes ``fit`` repeatable on CPU.
    verbose : int, default=0
        0 silent, 1 Keras progress bar, 2 one line per epoch.
    checkpoint_dir : str, os.PathLike or None, default=None
        Folder for a backup of the model after every epoch; an interrupted ``fit`` resumes from
        it when called again with the same folder.
    devices : None, "all" or list of str, default=None
        Train data-parallel over these devices (e.g. ``["gpu:0", "gpu:1"]``; ``"all"``: every
        accelerator). ``batch_size`` must be a multiple of their number; prediction runs on
        one device.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Size of axis 1 of ``X`` in ``fit``, as scikit-learn counts it: the time steps of each
        window (see ``n_channels_`` for the features per time step).
    n_timesteps_ : int
        Time steps per window.
    n_channels_ : int
        Features per time step (1 for 2-D input).
    model_ : keras.Model
        The trained network, from windows to class probabilities.
    history_ : dict of str to list of float
        Loss and accuracy per epoch, with ``val_`` entries when a validation tail is held out.
    n_iter_ : int
        Epochs run.
    attention_weights_ : ndarray of shape (timesteps,)
        Attention each time step received, averaged over the training windows; sums to 1.

    See Also
    --------
    TransformerClassifier : The same interface with a Transformer encoder.
    SlidingWindowTransformer : Builds the windows from a time-ordered table.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal import AttentionLSTMClassifier
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 8, 3)), rng.integers(0, 2, size=40)
    >>> clf = AttentionLSTMClassifier(lstm_units=4, attention_units=4, dense_units=4, epochs=1,
    ...                               random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.attention_weights_.shape
    (8,)
    """

    _parameter_constraints = {
        **BaseDeepClassifier._parameter_constraints,
        "lstm_units": [Interval(Integral, 1, None, closed="left"), tuple],
        "attention_units": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "l2_regularization": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        lstm_units=(128, 64),
        attention_units=64,
        dropout_rate=0.3,
        bidirectional=True,
        l2_regularization=0.0,
        *,
        stem_filters=(128, 256, 128),
        stem_kernel_sizes=(8, 5, 3),
        stem_max_steps=64,
        deep_supervision=1.0,
        ensemble_heads=True,
        dense_units=64,
        epochs="auto",
        min_steps=1000,
        batch_size=32,
        optimizer="adamw",
        learning_rate=0.001,
        learning_rate_schedule="cosine",
        weight_decay=0.01,
        gradient_clip=1.0,
        validation_fraction=0.1,
        min_validation_windows=200,
        patience=10,
        normalize_inputs=True,
        augmentation=None,
        precision="float32",
        class_weight=None,
        callbacks=None,
        random_state=None,
        verbose=0,
        checkpoint_dir=None,
        devices=None,
    ):
        super().__init__(
            stem_filters=stem_filters,
            stem_kernel_sizes=stem_kernel_sizes,
            stem_max_steps=stem_max_steps,
            deep_supervision=deep_supervision,
            ensemble_heads=ensemble_heads,
            dense_units=dense_units,
            dropout_rate=dropout_rate,
            epochs=epochs,
            min_steps=min_steps,
            batch_size=batch_size,
            optimizer=optimizer,
            learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule,
            weight_decay=weight_decay,
            gradient_clip=gradient_clip,
            validation_fraction=validation_fraction,
            min_validation_windows=min_validation_windows,
            patience=patience,
            normalize_inputs=normalize_inputs,
            augmentation=augmentation,
            precision=precision,
            class_weight=class_weight,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
            checkpoint_dir=checkpoint_dir,
            devices=devices,
        )
        self.lstm_units = lstm_units
        self.attention_units = attention_units
        self.bidirectional = bidirectional
        self.l2_regularization = l2_regularization

    def _build_network(self):
        units = (self.lstm_units,) if isinstance(self.lstm_units, Integral) else self.lstm_units
        if not units or not all(
            isinstance(u, Integral) and not isinstance(u, bool) and u >= 1 for u in units
        ):
            raise ValueError(
                "lstm_units must be a positive int or a non-empty tuple of positive ints; "
                f"got {self.lstm_units!r}."
            )
        return AttentionLSTMNetwork(
            units=units,
            attention_units=self.attention_units,
            dropout=self.dropout_rate,
            bidirectional=self.bidirectional,
            l2=self.l2_regularization,
            stem=self._stem(),
        )
