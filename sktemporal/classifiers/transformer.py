"""Transformer classifier: a multi-head self-attention encoder over the window's time steps."""

from numbers import Integral

from sklearn.utils._param_validation import Interval

from sktemporal.classifiers._base import BaseDeepClassifier
from sktemporal.classifiers._docstrings import fill_doc
from sktemporal.networks import TransformerNetwork

__all__ = ["TransformerClassifier"]


@fill_doc(body="the encoder")
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
    %(shared_parameters)s

    Attributes
    ----------
    %(shared_attributes)s
    attention_weights_ : ndarray of shape (timesteps,) or None
        Attention each position received in the last block, averaged over heads, queries and
        training windows; sums to 1. None with ``store_attention=False``.

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
