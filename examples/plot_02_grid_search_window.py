"""
=========================================
Choosing the window length by grid search
=========================================

Because :class:`~sktemporal.SlidingWindowTransformer` is an ordinary scikit-learn
transformer, the window length is a hyper-parameter like any other: search it with
:class:`~sklearn.model_selection.GridSearchCV` over a
:class:`~sklearn.model_selection.TimeSeriesSplit`.

The labels look ``horizon`` rows ahead, so the splitter needs ``gap=horizon``: without it,
the last training labels are computed from prices inside the test fold.
"""

# %%
# Data
# ----
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from sktemporal.market.datasets import load_sp500
from sktemporal.market.preparation import prepare_dataset

HORIZON = 1
X, y = prepare_dataset(load_sp500(), horizon=HORIZON, threshold=0.005)
X, y = X.iloc[-1000:], y.iloc[-1000:]

# %%
# The search
# ----------
# Pipeline step names are the lower-cased class names, so the window length is
# ``slidingwindowtransformer__sequence_length``. Each fold trains on all rows before it,
# skips ``HORIZON`` rows, and tests on the next block. ``n_jobs`` stays at 1: TensorFlow
# already uses every core for one fit (see :ref:`scaling`).
pipeline = make_pipeline(
    StandardScaler(),
    SlidingWindowTransformer(),
    AttentionLSTMClassifier(
        lstm_units=8,
        attention_units=8,
        dense_units=8,
        epochs=4,
        batch_size=128,
        class_weight="balanced",
        random_state=0,
    ),
)
cv = TimeSeriesSplit(n_splits=3, gap=HORIZON)
search = GridSearchCV(
    pipeline,
    {"slidingwindowtransformer__sequence_length": [5, 15, 40]},
    cv=cv,
    scoring="balanced_accuracy",
    n_jobs=1,
    refit=False,  # only the scores are needed here, not a final model
)
search.fit(X, y)

results = pd.DataFrame(search.cv_results_)
table = results[
    ["param_slidingwindowtransformer__sequence_length", "mean_test_score", "std_test_score"]
].rename(columns=lambda c: c.replace("param_slidingwindowtransformer__", ""))
print(table.to_string(index=False))
print("best:", search.best_params_)

# %%
# Each test fold is windowed on its own, so its first ``sequence_length - 1`` windows are
# padded rather than reaching back into the training rows. With 40-row windows and
# folds of 250 rows that is a sixth of each fold, a handicap that grows with the window
# length, so this search is slightly biased towards short windows. Three folds are also
# few: compare the differences between lengths with their standard deviations before
# trusting the "best" one, and confirm it on later data.
fig, ax = plt.subplots(figsize=(6, 4))
lengths = table["sequence_length"].astype(int)
ax.errorbar(lengths, table["mean_test_score"], yerr=table["std_test_score"],
            marker="o", capsize=4, label="Attention-LSTM (mean ± std over folds)")
ax.axhline(1 / 3, color="grey", linestyle="--", label="majority class (1/3)")
ax.set_xscale("log", base=2)
ax.set_xticks(lengths, labels=[str(n) for n in lengths])
ax.set_xlabel("sequence_length (rows per window)")
ax.set_ylabel("balanced accuracy")
ax.set_title(f"TimeSeriesSplit(n_splits=3, gap={HORIZON})")
ax.legend()
plt.tight_layout()
plt.show()

# %%
# The splits
# ----------
# What each fold trained and tested on; the gap rows belong to neither.
for fold, (train, test) in enumerate(cv.split(X), start=1):
    print(f"fold {fold}: train {X.index[train[0]].date()}..{X.index[train[-1]].date()}, "
          f"gap {HORIZON} row, test {X.index[test[0]].date()}..{X.index[test[-1]].date()}")
