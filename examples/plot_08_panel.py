"""
=====================================
Many assets: a panel, split by date
=====================================

One model trained across several assets needs two things that one series does not: windows
that never mix two assets, and folds that never train on one asset's future while testing
another's past. A DataFrame indexed by (asset, date) gives both: the
:class:`~sktemporal.SlidingWindowTransformer` windows it asset by asset, and the panel
splitters of :mod:`sktemporal.model_selection` split it by date across all assets.

The assets here are simulated (random walks that share a market factor), with the calendars
real ones have: one asset is listed later and one closes on other holidays. See
:ref:`panels` for the rules.
"""

# %%
# A panel with unequal calendars
# ------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from sktemporal.model_selection import PanelPurgedKFold, PanelTimeSeriesSplit

rng = np.random.default_rng(0)
dates = pd.bdate_range("2020-01-01", periods=400)
market = rng.normal(0, 0.01, len(dates))
calendars = {
    "AAA": dates,
    "BBB": dates[np.sort(rng.choice(len(dates), 360, replace=False))],  # other holidays
    "CCC": dates[150:],  # listed later
    "DDD": dates,
}
frames = {}
for asset, days in calendars.items():
    returns = market[dates.get_indexer(days)] + rng.normal(0, 0.01, len(days))
    frames[asset] = pd.DataFrame({"ret": returns}, index=days)
panel = pd.concat(frames, names=["asset", "date"])

# Causal features, computed asset by asset: no rolling window crosses two assets.
by_asset = panel.groupby(level="asset")["ret"]
panel["momentum"] = by_asset.transform(lambda r: r.rolling(5, min_periods=1).mean())
panel["volatility"] = by_asset.transform(lambda r: r.rolling(10, min_periods=2).std()).fillna(0)
# The label: does the asset's next row go up? (its own next row, not the next line)
HORIZON = 1
future = by_asset.shift(-HORIZON)
panel, y = panel[future.notna()], (future[future.notna()] > 0).astype(int).to_numpy()
print(panel.groupby(level="asset").size())

# %%
# Windows inside one asset
# ------------------------
# Window ``i`` holds the rows of row ``i``'s asset that end with row ``i``; CCC's first
# window is padded from CCC's own first row, never from AAA or BBB.
SEQUENCE_LENGTH = 10
windows = SlidingWindowTransformer(SEQUENCE_LENGTH).fit_transform(panel)
first_ccc = panel.index.get_loc(("CCC", calendars["CCC"][0]))
print(windows.shape, "- CCC's first window, returns:", windows[first_ccc, :, 0].round(4))

# %%
# Folds by date, across all assets
# --------------------------------
# Each test block is a block of dates with every asset's rows on them. Training rows whose
# label overlaps a test label, or whose window reaches back into a test label's prices, are
# removed, each measured in the asset's own rows: BBB, which skips dates, loses a little more.
cv = PanelPurgedKFold(n_splits=5, horizon=HORIZON, window=SEQUENCE_LENGTH)
assets = panel.index.get_level_values("asset")
row_dates = panel.index.get_level_values("date")
fig, axes = plt.subplots(5, 1, figsize=(8, 7), sharex=True)
for ax, (train, test) in zip(axes, cv.split(panel), strict=True):
    role = np.full(len(panel), "removed", dtype=object)
    role[train], role[test] = "train", "test"
    for level, asset in enumerate(calendars):
        for name, color in (("train", "tab:blue"), ("test", "tab:orange"), ("removed", "0.8")):
            mask = (assets == asset) & (role == name)
            ax.scatter(row_dates[mask], np.full(mask.sum(), level), s=2, color=color, label=name)
    ax.set_yticks(range(len(calendars)), list(calendars))
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles[:3], labels[:3], ncol=3, loc="lower center", markerscale=4)
axes[0].set_title("PanelPurgedKFold: every asset's rows, fold by fold")
fig.tight_layout(rect=(0, 0.04, 1, 1))

# %%
# One model across assets, cross-validated
# ----------------------------------------
# ``set_output(transform="pandas")`` lets the scaler hand the (asset, date) index on to the
# windows. The splitters yield row positions, so ``cross_val_score`` takes them unchanged.
# A tiny network and two epochs: this shows the mechanism, not a trading result.
pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        ("window", SlidingWindowTransformer(SEQUENCE_LENGTH, short_entities="pad")),
        (
            "clf",
            AttentionLSTMClassifier(
                lstm_units=8,
                dense_units=8,
                epochs=2,
                random_state=0,
                stem_filters=(4,),
                stem_kernel_sizes=(3,),
            ),
        ),
    ]
).set_output(transform="pandas")
scores = cross_val_score(
    pipeline,
    panel,
    y,
    cv=PanelTimeSeriesSplit(n_splits=3, gap=HORIZON),
    scoring="balanced_accuracy",
)
print("balanced accuracy per fold:", scores.round(3))
