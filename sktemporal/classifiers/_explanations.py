"""What a fitted deep classifier tells about its inputs: attention, and attributions.

Private to :mod:`sktemporal.classifiers`: :class:`ExplanationMixin` gives both classifiers
``get_attention_maps``, ``get_attention_weights`` and ``attention_weights_`` (read from the
network's attention layers), and ``get_attributions`` (measured attributions from
:mod:`sktemporal.inspection`). Whether attention explains a prediction is a claim that the
user guide's "Is attention an explanation?" measures.
"""

from sklearn.utils.validation import check_is_fitted

from sktemporal._quiet import single_step_softmax_notes_hidden
from sktemporal.classifiers._inference import attention_maps, attention_model, mean_attention
from sktemporal.inspection import attributions
from sktemporal.networks import spread_over_input_steps

__all__ = ["ExplanationMixin"]


class ExplanationMixin:
    """Attention and attributions of a fitted classifier.

    The classifier provides ``_validate_inputs``, ``_stem``, ``n_timesteps_`` and ``model_``.
    """

    @single_step_softmax_notes_hidden
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

    def _get_attention_model(self):
        """Model from the input to each attention layer's weights (built once, not pickled)."""
        if getattr(self, "_attention_model", None) is None:
            self._attention_model = attention_model(self.model_)
        return self._attention_model

    def get_attributions(
        self,
        X,
        method="integrated_gradients",
        *,
        target=None,
        baseline="mean",
        n_steps=50,
        integration="gausslegendre",
        occlusion_shape=(1, 1),
        batch_size=1024,
    ):
        """Attribution of each time step and feature of each window to a class's probability.

        Unlike the attention weights, an attribution measures how the prediction depends on
        each cell of the window; the user guide's "Is attention an explanation?" compares
        them against known ground truth. See :func:`sktemporal.inspection.attributions`,
        which this calls, for the methods and their sources.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, n_features) or (n_samples, timesteps)
            Windows shaped as in ``fit``.
        method : {"integrated_gradients", "occlusion"}, default="integrated_gradients"
            Integrated gradients (gradient on the Keras backend) or occlusion (forward passes
            only, every backend).
        target : label, array-like of labels or None, default=None
            Class whose probability is attributed; None for each window's predicted class.
        baseline : {"mean", "zeros"}, float or array-like, default="mean"
            What "absent" means: by default each feature's training mean.
        n_steps : int, default=50
            Integration points of integrated gradients.
        integration : {"gausslegendre", "riemann_trapezoid"}, default="gausslegendre"
            Quadrature rule of integrated gradients.
        occlusion_shape : tuple of (int, int), default=(1, 1)
            Time steps x features of an occluded patch.
        batch_size : int, default=1024
            Windows per forward or backward pass.

        Returns
        -------
        ndarray of shape (n_samples, timesteps, n_features)
            Positive values push the class's probability up, negative ones down.
        """
        return attributions(
            self,
            X,
            method=method,
            target=target,
            baseline=baseline,
            n_steps=n_steps,
            integration=integration,
            occlusion_shape=occlusion_shape,
            batch_size=batch_size,
        )
