"""Cross-validation splitters for labels that look ahead: walk-forward, purged k-fold, CPCV.

A label computed from a future value at row ``t`` (a return over the next ``horizon`` rows,
say) overlaps the labels of the rows around it. A splitter that puts a row of that overlap in
training and its neighbour in test lets the model learn the test label: plain ``KFold``
scores are then too good. :func:`purged_splitter` builds splitters that prevent it:

- ``"walk-forward"``: :class:`~sklearn.model_selection.TimeSeriesSplit` with
  ``gap=horizon``, training only on the past;
- ``"purged-kfold"``: :class:`purgedcv.PurgedKFold`, contiguous test blocks with the
  training rows whose label overlaps a test label removed (purged) and the rows just after
  each test block removed (embargoed);
- ``"cpcv"``: :class:`purgedcv.CombinatorialPurgedCV`, every choice of ``n_test_groups``
  of ``n_splits`` blocks as the test set, purged and embargoed the same way, whose test
  predictions recombine into ``C(n_splits - 1, n_test_groups - 1)`` full backtest paths
  (López de Prado, *Advances in Financial Machine Learning*, Wiley 2018, chapters 7 and 12).

The purged splitters are those of the ``purgedcv`` library; this package only states the
label intervals and the embargo in the terms of windows and horizons. They yield index
arrays, as scikit-learn's do, so they work in :func:`~sklearn.model_selection.cross_val_score`
and :class:`~sklearn.model_selection.GridSearchCV` unchanged.

A **panel**, many series in one DataFrame indexed by (entity, time), is split by date across
all its entities: :class:`PanelTimeSeriesSplit` (walk-forward), :class:`PanelPurgedKFold` and
:class:`PanelCombinatorialPurgedCV`. A test block is a block of dates of the panel's
calendar (the sorted union of its entities' dates), with every entity's rows on those dates;
training rows are the other entities' and dates' rows that pass the gap, purge and embargo,
each measured in the entity's **own** rows, so an asset listed later or closed on other
holidays is handled by date, not by row position. The panel CPCV's
:meth:`~PanelCombinatorialPurgedCV.reconstruct_paths` rebuilds its backtest paths row by
row, every entity's value on a date from the same split.
"""

from sktemporal.model_selection import _purged
from sktemporal.model_selection._panel import (
    PanelCombinatorialPurgedCV,
    PanelPurgedKFold,
    PanelTimeSeriesSplit,
)
from sktemporal.model_selection._purged import default_embargo, label_intervals, purged_splitter

# Bound here because Sphinx reads a constant's ``#:`` comment from the source of the module it
# is documented in, this one; imported, the API page showed the tuple type's docstring.
#: The schemes :func:`purged_splitter` builds, the walk-forward first.
CV_SCHEMES = _purged.CV_SCHEMES

__all__ = [
    "CV_SCHEMES",
    "PanelCombinatorialPurgedCV",
    "PanelPurgedKFold",
    "PanelTimeSeriesSplit",
    "default_embargo",
    "label_intervals",
    "purged_splitter",
]
