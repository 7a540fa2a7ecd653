"""
=============================================
Attributions: which inputs drive a prediction
=============================================

:func:`sktemporal.inspection.attributions` scores each time step and feature of a window for
the predicted class (or a chosen one), by occlusion or by integrated gradients.
:func:`~sktemporal.plotting.plot_attributions` draws them as a heatmap, time across and
features down.

Here the truth is known: each window carries a short box, at a random place in time and in
one feature only, shifted up for one class and down for the other. A good attribution points
at the box; attention weights, one per time step, can at best point at its time steps. The
user guide page :ref:`attributions` measures this on larger sets with the default networks.
"""

# %%
# Windows with a known cause
# --------------------------
import matplotlib.pyplot as plt
import numpy as np

from sktemporal import AttentionLSTMClassifier
from sktemporal.inspection import attributions
from sktemporal.plotting import plot_attributions

N_TIMESTEPS, N_FEATURES, BOX = 30, 3, 5


def make_windows(n, seed):
    """Noise, plus a box of BOX steps in feature 1: +1.5 for "up", -1.5 for "down"."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_TIMESTEPS, N_FEATURES))
    up = rng.integers(0, 2, n) == 1
    truth = np.zeros(X.shape, dtype=bool)
    for i, start in enumerate(rng.integers(0, N_TIMESTEPS - BOX + 1, n)):
        X[i, start : start + BOX, 1] += 1.5 if up[i] else -1.5
        truth[i, start : start + BOX, 1] = True
    return X, np.where(up, "up", "down"), truth


X_train, y_train, _ = make_windows(300, seed=0)
X_test, y_test, truth = make_windows(60, seed=1)

# %%
# A small network, trained in seconds
# -----------------------------------
clf = AttentionLSTMClassifier(
    lstm_units=8, attention_units=8, dense_units=8, stem_filters=(), deep_supervision=0,
    dropout_rate=0.0, learning_rate=0.01, weight_decay=0.0, epochs=30, random_state=0,
).fit(X_train, y_train)
print(f"test accuracy: {(clf.predict(X_test) == y_test).mean():.2f}")

# %%
# Attention, occlusion and integrated gradients
# ---------------------------------------------
# Occlusion replaces each cell by the training mean and measures the drop of the class's
# probability (forward passes only); integrated gradients integrate the gradient from that
# mean to the window. Both return ``(n_windows, timesteps, features)``. Attention is one
# weight per time step.
attention = clf.get_attention_weights(X_test)
occlusion = attributions(clf, X_test, method="occlusion")
gradients = attributions(clf, X_test, method="integrated_gradients", n_steps=16)
print("attributions:", occlusion.shape, "attention:", attention.shape)

window = 0
start = np.flatnonzero(truth[window].any(axis=1))[0]
lags = np.arange(-N_TIMESTEPS + 1, 1)
fig, axes = plt.subplots(4, 1, figsize=(8, 9), layout="constrained")
axes[0].plot(lags, X_test[window], label=[f"feature {j}" for j in range(N_FEATURES)])
axes[0].axvspan(lags[start] - 0.5, lags[start + BOX - 1] + 0.5, color="grey", alpha=0.2)
axes[0].set_title(f'Window {window} (class "{y_test[window]}"); the box is shaded')
axes[0].legend(ncol=3, fontsize="small")
axes[1].bar(lags, attention[window])
axes[1].set_title("Attention weight per time step")
plot_attributions(occlusion, ax=axes[2], sample=window)
axes[2].set_title("Occlusion")
plot_attributions(gradients, ax=axes[3], sample=window)
axes[3].set_title("Integrated gradients")
for ax in axes[:2]:
    ax.set_xlim(lags[0] - 0.5, lags[-1] + 0.5)
plt.show()

# %%
# Mind the colour scales: when the network is sure (a probability near 1), removing one cell
# hardly moves it, and occlusion's scores are tiny and noisy; integrated gradients integrate
# along the whole path from the baseline, where the probability does change, and keep their
# size (they sum to the probability's change from the baseline to the window).
#
# How often does each method point at the box?
# --------------------------------------------
# For each test window, the share of the box's cells among the top-ranked cells (as many as
# the box has), and the same on time steps, where attention can compete. Random scores are
# the floor.
rng = np.random.default_rng(0)


def top_k_precision(importance, truth):
    """Share of the truly informative entries among the top-ranked ones, per window."""
    flat, true = np.abs(importance).reshape(len(truth), -1), truth.reshape(len(truth), -1)
    k = true.sum(axis=1)
    order = np.argsort(-flat, axis=1)
    hits = np.take_along_axis(true, order, axis=1)
    return np.mean([hits[i, : k[i]].mean() for i in range(len(truth))])


steps_truth = truth.any(axis=2)
scores = {
    "attention": (np.nan, attention),
    "occlusion": (occlusion, np.abs(occlusion).sum(axis=2)),
    "integrated gradients": (gradients, np.abs(gradients).sum(axis=2)),
    "random": (rng.random(truth.shape), rng.random(steps_truth.shape)),
}
print(f"{'method':22s} cells  time steps")
for name, (cells, steps) in scores.items():
    on_cells = "  n/a" if name == "attention" else f"{top_k_precision(cells, truth):.2f} "
    print(f"{name:22s} {on_cells}  {top_k_precision(steps, steps_truth):.2f}")

# %%
# Attention weighs the LSTM's hidden states, each of which has read the whole window (in both
# directions): a weight on step ``k`` is not a weight on input row ``k``. The attributions
# score the inputs themselves. With a pipeline (a scaler and a
# :class:`~sktemporal.SlidingWindowTransformer` before the classifier), pass the pipeline and
# its table: the attributions are those of the windows the classifier receives.
