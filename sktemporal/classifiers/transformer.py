"""Transformer classifier: a multi-head self-attention encoder over the window's time steps."""

from numbers import Integral

from sklearn.utils._param_validation import Interval

from sktemporal.classifiers._base import BaseDeepClassifier
from sktemporal.networks import TransformerNetwork

__all__ = ["TransformerClassifier"]


class TransformerClassifier(BaseDeepClassifier):
    """Classify windows with a Transformer encoder.

    Network: per-feature input normalisation (statistics learned in ``fit``), a convolutional
    stem (``[Conv1D → BatchNormalization → ReLU]`` blocks that embed local shapes rather than
    single raw steps and, for windows longer than ``stem_max_steps``, max-pool them to a
    shorter sequence, after ConvTran's convolutional embedding and PatchTST's patches), a
    ``Dense(d_model)`` projection plus sinusoidal positional encoding, ``num_layers`` encoder
    blocks of ``MultiHeadAttention`` and a feed-forward network, each with a residual
    connection and layer normalisation (pre- or post-norm), average pooling over time, then
    ``Dense(dense_units, relu) → Dropout → Dense(n_classes, softmax)``. Attention maps over
    pooled steps are spread back over the input steps they cover.

    Training adapts to the data: ``epochs="auto"`` plans at least ``min_steps`` gradient steps,
    AdamW with gradient clipping and a warm-up + cosine learning-rate schedule, and a
    validation tail only when it is large enough and holds every class; ``verbose=1`` prints
    each choice and why.

    Parameters
    ----------
    d_model : int, default=64
        Width of the embedding and of every block.
    num_heads : int, default=4
        Attention heads per block; must divide ``d_model``.
    num_layers : int, default=2
        Encoder blocks.
    ff_dim : int, default=128
        Hidden width of each block's feed-forward network.
    dropout_rate : float, default=0.1
        Dropout on the embedding, attention weights, residual branches and head.
    norm_first : bool, default=True
        Pre-norm blocks (more stable); ``False`` gives the original post-norm blocks.
    stem_filters : tuple of int, default=(128, 256, 128)
        Filters of the convolutional stem's blocks (``Conv1D → BatchNormalization → ReLU``),
        which read the raw steps before the encoder; ``()`` feeds the raw steps to the encoder.
    stem_kernel_sizes : tuple of int, default=(8, 5, 3)
        Kernel size of each stem block.
    stem_max_steps : int, default=64
        Longest sequence the stem hands to the encoder: longer windows are max-pooled after the
        first stem block, ``ceil(timesteps / stem_max_steps)`` steps into one.
    deep_supervision : float, default=1.0
        Weight of an auxiliary head's cross-entropy in the training loss: a second classifier
        on the stem's features averaged over time, trained beside the main head so that the
        stem learns features that classify on their own rather than leaving the whole fit to
        the encoder (deep supervision, Lee et al., AISTATS 2015). ``0`` leaves the auxiliary
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
        Attention each position received in the last block, averaged over heads, queries and
        training windows; sums to 1.

    See Also
    --------
    AttentionLSTMClassifier : The same interface with recurrent layers.
    SlidingWindowTransformer : Builds the windows from a time-ordered table.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal import TransformerClassifier
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 8, 3)), rng.integers(0, 2, size=40)
    >>> clf = TransformerClassifier(d_model=8, num_heads=2, num_layers=1, ff_dim=8,
    ...                             dense_units=4, epochs=1, random_state=0).fit(X, y)
    >>> [m.shape for m in clf.get_attention_maps(X[:5])]
    [(5, 2, 8, 8)]
    >>> clf.get_attention_weights(X[:5]).shape
    (5, 8)
    """

    _parameter_constraints = {
        **BaseDeepClassifier._parameter_constraints,
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "num_heads": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "ff_dim": [Interval(Integral, 1, None, closed="left")],
        "norm_first": ["boolean"],
    }

    def __init__(
        self,
        d_model=64,
        num_heads=4,
        num_layers=2,
        ff_dim=128,
        dropout_rate=0.1,
        norm_first=True,
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
        self.d_model = d_model
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.ff_dim = ff_dim
        self.norm_first = norm_first

    def _build_network(self):
        return TransformerNetwork(
            d_model=self.d_model,
            num_heads=self.num_heads,
            num_layers=self.num_layers,
            ff_dim=self.ff_dim,
            dropout=self.dropout_rate,
            norm_first=self.norm_first,
            stem=self._stem(),
        )
