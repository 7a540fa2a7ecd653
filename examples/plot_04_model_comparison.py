"""
=========================================================
Transformer vs. Attention-LSTM vs. logistic regression
=========================================================

:func:`~sktemporal.market.walk_forward.walk_forward_evaluate` scores a window classifier fold by
fold through time, and on the same folds three baselines: the **majority** class of the
training fold, **persistence** (tomorrow's direction is today's), and a
**logistic regression** on the current row's features. It is the procedure behind
``sktemporal train``.

The networks here are small and trained for a few epochs on five years of data, to keep
the example under two minutes. The balanced accuracies below are what this run gives; they
are not a ranking of the architectures, and the fold-to-fold spread is part of the result.
"""

# %%
# Evaluate both networks
# ----------------------
# In each fold a scaler is fitted on the training rows only, windows are built over the
# whole scaled table (so test windows hold their true past), and
# ``TimeSeriesSplit(n_splits, gap=horizon)`` keeps every training label's future out of
# the test rows.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sktemporal import AttentionLSTMClassifier, TransformerClassifier
from sktemporal.market.datasets import load_sp500
from sktemporal.market.walk_forward import walk_forward_evaluate

prices = load_sp500().iloc[-1300:]
settings = dict(sequence_length=20, horizon=1, threshold=0.005, n_splits=3, refit=False)
common = dict(dense_units=16, epochs=8, batch_size=64, class_weight="balanced",
              random_state=0)
networks = {
    "Attention-LSTM": AttentionLSTMClassifier(lstm_units=16, attention_units=8, **common),
    "Transformer": TransformerClassifier(d_model=16, num_heads=2, num_layers=1, ff_dim=32,
                                         **common),
}
results = {name: walk_forward_evaluate(prices, clf, **settings)
           for name, clf in networks.items()}

# %%
# One table per network: the model and the baselines on each fold, then the mean ± std
# over the folds. The baselines are the same in both tables.
print(results["Attention-LSTM"].format_table())

# %%
print(results["Transformer"].format_table())

# %%
# Balanced accuracy, fold by fold
# -------------------------------
# Balanced accuracy averages the recall of down, flat and up days, so predicting one
# class only scores 1/3. Each dot is a fold, the bar their mean.
scores = {name: r.fold_scores()["balanced_accuracy"].xs("model", level="method")
          for name, r in results.items()}
baselines = results["Attention-LSTM"].fold_scores()["balanced_accuracy"]
for name, label in [("logistic_regression", "Logistic regression"),
                    ("persistence", "Persistence"), ("majority", "Majority class")]:
    scores[label] = baselines.xs(name, level="method")
table = pd.DataFrame(scores)
print(table.round(3).to_string())

fig, ax = plt.subplots(figsize=(8, 4))
positions = np.arange(table.shape[1])
ax.bar(positions, table.mean(), color="lightsteelblue", label="mean over folds")
for fold, row in table.iterrows():
    ax.plot(positions, row.to_numpy(), "o", label=f"fold {fold}")
ax.axhline(1 / 3, color="grey", linestyle="--", linewidth=1)
ax.set_xticks(positions, labels=table.columns, rotation=15)
ax.set_ylabel("balanced accuracy")
ax.set_ylim(0.2, 0.6)
ax.set_title("Walk-forward balanced accuracy, S&P 500 test folds 2015-2018")
ax.legend(loc="upper right", fontsize="small")
plt.tight_layout()
plt.show()

# %%
# Read the differences against the spread between folds: with three folds of about 300
# days, a few points of balanced accuracy are within noise. The honest summary of a
# comparison like this one is often "no model beats the simple baselines by a margin the
# folds can confirm". To compare architectures seriously, use more folds, longer training
# and several seeds (``random_state``), and look at the costs of acting on the
# predictions (:ref:`strategy`), not only at their accuracy.
