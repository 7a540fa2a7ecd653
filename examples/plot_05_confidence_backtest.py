"""
========================================================
Acting only when confident: coverage, accuracy, backtest
========================================================

A direction forecast is only worth trading when the model is sure enough.
:class:`~sktemporal.ConfidenceThresholdClassifier` wraps a classifier and predicts its top
class only where that class's probability reaches ``threshold``; elsewhere it abstains,
here with ``0``, "stay flat". :func:`~sktemporal.coverage_accuracy_curve` shows what the
threshold trades: how many days are acted on (coverage) against how accurate those
predictions are. :func:`~sktemporal.market.backtest.backtest` then turns the predictions into
positions and an equity curve, net of trading costs.

The threshold is chosen on a validation period and only then applied to the test period:
choosing it on the test period would make the backtest look better than it can be.
"""

# %%
# Up or not up, tomorrow
# ----------------------
# With ``threshold=0`` the labels are up (1), down (-1) or, on the rare day the index
# closes unchanged, flat (0); we count those few days as "not up" so that there are two
# classes, and an abstention (0) can mean "no position".
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.preprocessing import StandardScaler

from sktemporal import (
    AttentionLSTMClassifier,
    ConfidenceThresholdClassifier,
    SlidingWindowTransformer,
    coverage_accuracy_curve,
)
from sktemporal.market.backtest import backtest
from sktemporal.market.datasets import load_sp500
from sktemporal.market.preparation import prepare_dataset
from sktemporal.plotting import plot_coverage_accuracy, plot_equity

SEQUENCE_LENGTH, HORIZON = 20, 1
prices = load_sp500()
X, y = prepare_dataset(prices, horizon=HORIZON, threshold=0.0)
X, y = X.iloc[-1250:], y.iloc[-1250:].where(lambda labels: labels == 1, -1)
print(y.value_counts().to_dict())

# %%
# Train, validation and test periods
# ----------------------------------
# 70 % / 10 % / 20 % of the windows, in time order, with a gap of ``HORIZON`` rows before
# each later period. The scaler sees the training rows only; the windows are built over
# the whole table so that every window holds its true past.
scaler = StandardScaler().fit(X.iloc[: int(len(X) * 0.7)])
windows = SlidingWindowTransformer(SEQUENCE_LENGTH).fit_transform(scaler.transform(X))
windows, labels = windows[SEQUENCE_LENGTH - 1 :], y.iloc[SEQUENCE_LENGTH - 1 :]
n = len(windows)
train = slice(0, int(n * 0.7) - HORIZON)
validation = slice(int(n * 0.7), int(n * 0.8) - HORIZON)
test = slice(int(n * 0.8), n)
for name, part in [("train", train), ("validation", validation), ("test", test)]:
    dates = labels.index[part]
    print(f"{name:<10} {dates[0].date()} .. {dates[-1].date()} ({len(dates)} days)")

# %%
# Fit once, then choose the threshold on the validation period
# -------------------------------------------------------------
# With two classes the top probability is never below 0.5, so ``threshold=0.5`` acts on
# every day. The threshold is read at prediction time, so it can be changed after ``fit``.
gated = ConfidenceThresholdClassifier(
    AttentionLSTMClassifier(lstm_units=16, attention_units=8, dense_units=16, epochs=15,
                            batch_size=64, random_state=0),
    threshold=0.5,
    abstain_label=0,
).fit(windows[train], labels.iloc[train])

grid = [0.50, 0.51, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58, 0.60]
curves = {
    name: coverage_accuracy_curve(
        labels.iloc[part], gated.predict_proba(windows[part]), gated.classes_, thresholds=grid
    )
    for name, part in [("validation", validation), ("test", test)]
}
frame = curves["validation"].to_frame()
print(frame.round(3).to_string(index=False))

# The most selective threshold that still acts on at least a quarter of the days.
eligible = frame[(frame.coverage >= 0.25) & frame.accuracy.notna()]
threshold = float(eligible.threshold.max())
print(f"chosen on the validation period: threshold = {threshold}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, (name, curve) in zip(axes, curves.items(), strict=True):
    plot_coverage_accuracy(curve, ax=ax)
    ax.axvline(threshold, color="grey", linestyle=":")
    ax.set_title(f"{name} period")
plt.tight_layout()

# %%
# Compare the two panels: a threshold is only useful if the accuracy gained on the
# validation period carries over to the test period. When it does not, the model's
# confidence did not generalise, and acting on it is no better than acting every day.
#
# Backtest on the test period
# ---------------------------
# The position decided at the close of day ``t`` (long 1, short -1, flat 0) is held until
# the close of day ``t + 1``, which is exactly the return the label of day ``t`` describes.
# Each change of position costs 5 basis points of the traded value. The same model acting
# on every day (``threshold=0.5``) and buying and holding the index are shown for
# comparison.
test_dates = labels.index[test]
close = prices["close"].loc[test_dates]
runs = {}
for name, value in [("always act", 0.5), (f"threshold {threshold}", threshold)]:
    positions = pd.Series(gated.set_params(threshold=value).predict(windows[test]),
                          index=test_dates, dtype=float)
    runs[name] = backtest(positions, close, cost_bps=5.0)

summary = pd.concat({name: run.summary()["strategy"] for name, run in runs.items()}, axis=1)
summary["buy and hold"] = runs["always act"].summary()["buy_and_hold"]
print(summary.round(3).to_string())

# %%
figure = plot_equity(runs[f"threshold {threshold}"])
figure.axes[0].set_title(f"Confidence-gated Attention-LSTM (threshold {threshold}), "
                         "5 bps per trade")
plt.tight_layout()
plt.show()

# %%
# About 250 test days are one market regime, not a track record. The numbers above carry
# no estimate of their uncertainty, the strategy ignores slippage, borrowing costs for
# short positions and taxes, and the threshold rule itself was picked among others. Use
# :func:`~sktemporal.market.walk_forward.walk_forward_evaluate` over many periods before believing
# any of them.
