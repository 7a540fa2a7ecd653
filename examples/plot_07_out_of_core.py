"""
======================================
Training on a table larger than memory
======================================

A table too large for memory is usually a set of Parquet files, one per period.
:class:`~sktemporal.out_of_core.WindowStream` reads it a chunk of rows at a time and yields
the windows ending at each row of the chunk; the first rows of every chunk and file take their
past from the end of the previous one, so no window is cut at a file boundary and the windows
are exactly :class:`~sktemporal.SlidingWindowTransformer`'s windows of the whole table. Here
the S&P 500 features are written as one file per few years and read back 500 rows at a time,
far fewer than a file, so that the stream has to carry rows across chunks and files.

Needs ``pip install "sktemporal[scale]"`` (PyArrow reads the Parquet files).
"""

# %%
# A table split over several Parquet files
# ----------------------------------------
# Indicators are computed before the files are written: the stream applies only row-wise
# transforms (a scaler), which give the same result chunk by chunk as on the whole table.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import StandardScaler

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from sktemporal.market.datasets import load_sp500
from sktemporal.market.preparation import prepare_dataset
from sktemporal.out_of_core import (
    WindowStream,
    iter_predict_proba,
    partial_fit_table,
    partial_fit_windows,
)

X, y = prepare_dataset(load_sp500(), horizon=1, threshold=0.005)
table = X.assign(direction=y.to_numpy()).rename_axis("date").reset_index()
folder = Path(tempfile.mkdtemp()) / "sp500"
folder.mkdir()
years = table["date"].dt.year
for _, part in table.groupby((years - years.iloc[0]) // 4):  # four years per file
    first_year = part["date"].iloc[0].year  # names that sort in time order
    part.to_parquet(folder / f"part-{first_year}.parquet", index=False)
print(sorted(path.name for path in folder.iterdir()))

# %%
# Scale, then train, one pass over the files per epoch
# ----------------------------------------------------
# ``time_column`` makes the stream check that the dates increase across chunks and files.
stream = WindowStream(
    folder, sequence_length=20, columns=list(X.columns), label="direction",
    time_column="date", batch_rows=500,
)
scaler = partial_fit_table(StandardScaler(), stream)  # one pass over the raw rows
stream = stream.with_transform(scaler)

# A small network (one convolution block of 8 filters in its stem): the example is about
# the stream, not about accuracy.
clf = AttentionLSTMClassifier(
    lstm_units=8, attention_units=4, dense_units=4, batch_size=64, random_state=0,
    stem_filters=(8,), stem_kernel_sizes=(3,),
)
partial_fit_windows(clf, stream, classes=[-1, 0, 1], epochs=3)

# %%
# Predict every row, chunk by chunk
# ---------------------------------
# Each chunk's probabilities could be written out as they come; here they are gathered and
# compared with the same model applied to the whole table in memory.
rows, streamed = zip(*iter_predict_proba(clf, stream), strict=True)
rows, streamed = np.concatenate(rows), np.concatenate(streamed)

in_memory = clf.predict_proba(
    SlidingWindowTransformer(sequence_length=20).fit_transform(scaler.transform(X))
)
np.testing.assert_array_equal(rows, np.arange(len(X)))
print(f"{len(rows)} rows scored; largest difference from in-memory prediction: "
      f"{np.abs(streamed - in_memory).max():.1e}")

# %%
# The probabilities over time
# ---------------------------
fig, ax = plt.subplots(figsize=(8, 3))
for column, label in enumerate(clf.classes_):
    ax.plot(X.index, streamed[:, column], lw=0.5, label=f"P(direction = {label})")
ax.set(xlabel="date", ylabel="probability", ylim=(0, 1))
ax.legend(loc="upper left", fontsize="small")
fig.tight_layout()
