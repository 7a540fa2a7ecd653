"""
==========
Quickstart
==========

Predict the direction of the S&P 500 one day ahead with a scikit-learn
:class:`~sklearn.pipeline.Pipeline`:
:class:`~sklearn.preprocessing.StandardScaler` →
:class:`~sktemporal.SlidingWindowTransformer` →
:class:`~sktemporal.AttentionLSTMClassifier`.

The features are the 34 causal technical indicators of
:class:`~sktemporal.TechnicalIndicators`; the labels are down (-1), flat (0) or up (1)
depending on the next day's return (flat within ±0.5 %).
"""

# %%
# Features and labels
# -------------------
# :func:`~sktemporal.market.preparation.prepare_dataset` computes the indicators (each row uses
# only prices up to that row), drops the indicators' warm-up rows and the last row, which
# has no next-day return, and returns features and labels on the same index. We keep the
# most recent 1,250 trading days (about five years) so that the example runs in seconds.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from sktemporal.market.datasets import load_sp500
from sktemporal.market.preparation import prepare_dataset
from sktemporal.plotting import plot_confusion_matrix, plot_history

HORIZON = 1
X, y = prepare_dataset(load_sp500(), horizon=HORIZON, threshold=0.005)
X, y = X.iloc[-1250:], y.iloc[-1250:]
print(X.shape, "from", X.index[0].date(), "to", X.index[-1].date())
print(y.value_counts(normalize=True).round(3).sort_index().to_dict())

# %%
# A time-ordered split
# --------------------
# The last 20 % of the rows are the test period. The label of a row looks ``HORIZON``
# rows ahead, so the last ``HORIZON`` training rows would have labels computed from
# test-period prices: they are dropped (the ``gap`` of
# :class:`~sklearn.model_selection.TimeSeriesSplit` does the same).
cut = int(len(X) * 0.8)
X_train, y_train = X.iloc[: cut - HORIZON], y.iloc[: cut - HORIZON]
X_test, y_test = X.iloc[cut:], y.iloc[cut:]

# %%
# The pipeline
# ------------
# :class:`~sktemporal.SlidingWindowTransformer` turns each row into the window of the
# ``sequence_length`` rows that end with it, so the pipeline keeps one sample per row and
# the labels stay aligned. The first ``sequence_length - 1`` windows of a table are padded
# with its first row (see :ref:`windowing`). Inside a pipeline, the test table is windowed
# on its own, so its first 19 windows are padded instead of reaching back into the
# training period: harmless, but :ref:`windowing` shows how to give them their true past.
model = make_pipeline(
    StandardScaler(),
    SlidingWindowTransformer(sequence_length=20),
    AttentionLSTMClassifier(
        lstm_units=16,
        attention_units=8,
        dense_units=16,
        epochs=15,
        batch_size=64,
        class_weight="balanced",
        random_state=0,
    ),
)
model.fit(X_train, y_train)

y_pred = model.predict(X_test)
majority = np.full(len(y_test), y_train.mode()[0])
print(f"accuracy          {accuracy_score(y_test, y_pred):.3f}")
print(f"balanced accuracy {balanced_accuracy_score(y_test, y_pred):.3f}")
print(f"majority class: accuracy {accuracy_score(y_test, majority):.3f}, "
      f"balanced accuracy {balanced_accuracy_score(y_test, majority):.3f}")

# %%
# Balanced accuracy averages the recall of the three classes, so always predicting the
# most frequent class scores 1/3 whatever its share. ``class_weight="balanced"`` makes the
# network pay for missing the rarer up and down days; without it, it learns to say "flat".
#
# Training history and errors
# ---------------------------
# The classifier held out the last 10 % of its training windows (``validation_fraction``)
# to monitor the validation loss; ``history_`` has both curves.
clf = model[-1]
print(f"{clf.n_iter_} epochs; windows of {clf.n_timesteps_} steps x {clf.n_channels_} features")
plot_history(clf.history_)
plt.tight_layout()

# %%
plot_confusion_matrix(y_test, y_pred, normalize="true")
plt.tight_layout()
plt.show()
