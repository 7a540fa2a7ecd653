"""
=========================
Reading attention weights
=========================

Both classifiers expose the attention their network computes for each window:

- ``attention_weights_``: the weight each time step received, averaged over the training
  windows;
- :meth:`~sktemporal.AttentionLSTMClassifier.get_attention_weights`: one distribution over
  the time steps per window, from the last attention layer;
- :meth:`~sktemporal.TransformerClassifier.get_attention_maps`: every head's full map,
  layer by layer.

This example draws them, then puts them next to a simple occlusion test, as a reminder
that attention weights describe how the network mixes its hidden states, not which input
rows drive the prediction (see :ref:`attention`).
"""

# %%
# Windows with their true past
# ----------------------------
# The scaler is fitted on the training rows only; the windows are then built over the
# whole scaled table, so the first test windows reach back into the training period as
# they would in real use. The first ``SEQUENCE_LENGTH - 1`` windows, padded, are dropped.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from sklearn.preprocessing import StandardScaler

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer, TransformerClassifier
from sktemporal.market.datasets import load_sp500
from sktemporal.market.preparation import prepare_dataset
from sktemporal.plotting import plot_attention, plot_attention_heatmap

SEQUENCE_LENGTH, HORIZON = 20, 1
X, y = prepare_dataset(load_sp500(), horizon=HORIZON, threshold=0.005)
X, y = X.iloc[-1250:], y.iloc[-1250:]

cut = int(len(X) * 0.8)
scaler = StandardScaler().fit(X.iloc[: cut - HORIZON])
windows = SlidingWindowTransformer(SEQUENCE_LENGTH).fit_transform(scaler.transform(X))
windows, labels = windows[SEQUENCE_LENGTH - 1 :], y.to_numpy()[SEQUENCE_LENGTH - 1 :]
cut -= SEQUENCE_LENGTH - 1
W_train, y_train = windows[: cut - HORIZON], labels[: cut - HORIZON]
W_test, y_test = windows[cut:], labels[cut:]
print("train windows", W_train.shape, "test windows", W_test.shape)

# %%
# Attention-LSTM: one weight per time step
# ----------------------------------------
lstm = AttentionLSTMClassifier(
    lstm_units=16, attention_units=8, dense_units=16, epochs=15, batch_size=64,
    class_weight="balanced", random_state=0,
).fit(W_train, y_train)

test_weights = lstm.get_attention_weights(W_test)
print("weights per window:", test_weights.shape, "- each row sums to",
      test_weights.sum(axis=1).round(6)[:3])

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_attention(test_weights, ax=axes[0])
axes[0].axhline(1 / SEQUENCE_LENGTH, color="grey", linestyle=":", label="uniform")
axes[0].legend()
plot_attention_heatmap(test_weights[:60], ax=axes[1])
axes[1].set_title("Attention weights, first 60 test windows")
axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
plt.tight_layout()

# %%
# Lag 0 is the row at which the prediction is made. A curve close to the dotted line
# means the network pools its hidden states almost uniformly.
#
# Transformer: one map per head
# -----------------------------
# In a self-attention layer every time step (query) attends to every step (key), so each
# head has a ``timesteps × timesteps`` map per window.
transformer = TransformerClassifier(
    d_model=16, num_heads=2, num_layers=1, ff_dim=32, dense_units=16, epochs=15,
    batch_size=64, class_weight="balanced", random_state=0,
).fit(W_train, y_train)

(maps,) = transformer.get_attention_maps(W_test[-1:])  # one layer
print("layer 0 maps:", maps.shape, "(windows, heads, queries, keys)")
fig, axes = plt.subplots(1, maps.shape[1], figsize=(10, 4.5), sharey=True,
                         layout="constrained", squeeze=False)
first_lag = -SEQUENCE_LENGTH + 1
for head, ax in enumerate(axes[0]):
    image = ax.imshow(maps[0, head], extent=(first_lag - 0.5, 0.5, 0.5, first_lag - 0.5))
    ax.set_title(f"head {head}, last test window")
    ax.set_xlabel("key (lag)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
axes[0, 0].set_ylabel("query (lag)")
fig.colorbar(image, ax=axes[0].tolist(), label="attention weight")

# %%
# Attention is not an importance score
# ------------------------------------
# A crude check of which inputs matter: replace one time step of every test window by
# the training mean (zero after scaling) and measure how much the predicted class's
# probability moves. Compare it with the mean attention of that step.
proba = lstm.predict_proba(W_test)
predicted = proba.argmax(axis=1)
occlusion = np.empty(SEQUENCE_LENGTH)
for step in range(SEQUENCE_LENGTH):
    occluded = W_test.copy()
    occluded[:, step, :] = 0.0
    moved = lstm.predict_proba(occluded)[np.arange(len(W_test)), predicted]
    occlusion[step] = np.mean(np.abs(proba[np.arange(len(W_test)), predicted] - moved))

lag = np.arange(-SEQUENCE_LENGTH + 1, 1)
mean_attention = test_weights.mean(axis=0)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(lag, mean_attention / mean_attention.sum(), marker="o", label="mean attention")
ax.plot(lag, occlusion / occlusion.sum(), marker="s", label="occlusion effect (normalised)")
ax.set_xlabel("lag (0 = most recent row)")
ax.set_ylabel("share of the total")
ax.legend()
ax.set_title("Attention-LSTM: attention vs. occlusion")
plt.tight_layout()
plt.show()

rank = np.corrcoef(np.argsort(np.argsort(mean_attention)), np.argsort(np.argsort(occlusion)))
print(f"rank correlation between attention and occlusion: {rank[0, 1]:.2f}")

# %%
# The LSTM is bidirectional: its hidden state at step ``k`` has read the whole window, in
# both directions, before attention weighs it. A weight on step ``k`` is a weight on that
# summary, not on input row ``k``; occlusion, which changes an input row, can tell a
# different story, and neither is a causal explanation of the market.
