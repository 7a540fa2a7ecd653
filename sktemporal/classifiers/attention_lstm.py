"""Attention-LSTM classifier: stacked bidirectional LSTMs pooled by additive attention."""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from sktemporal.classifiers._base import BaseDeepClassifier
from sktemporal.classifiers._docstrings import fill_doc
from sktemporal.networks import AttentionLSTMNetwork

__all__ = ["AttentionLSTMClassifier"]


@fill_doc(body="the LSTMs")
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
    %(shared_parameters)s

    Attributes
    ----------
    %(shared_attributes)s
    attention_weights_ : ndarray of shape (timesteps,) or None
        Attention each time step received, averaged over the training windows; sums to 1.
        None with ``store_attention=False``.

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
        store_attention=True,
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
            store_attention=store_attention,
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
