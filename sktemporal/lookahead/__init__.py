"""Check that a fitted estimator's outputs before a time never depend on the rows after it.

A *look-ahead leak* is an output at row ``t`` that changes when only rows ``>= cutoff > t``
change: a centred rolling mean, a backfill, a ``shift(-1)``, a scaler fitted inside
``transform`` on the whole table, a future return computed as a feature. Back-tests of such a
pipeline look far better than any live use can be, since live, the future rows do not exist
yet. :func:`check_no_lookahead` looks for these leaks empirically: it perturbs the future and
checks that no output of the past moves, step by step through a
:class:`~sklearn.pipeline.Pipeline`. A panel, indexed by (entity, time), is cut by date: every
entity's rows after a date are perturbed at once, and no output of any entity dated on or
before it may move.

The search (:func:`check_no_lookahead`), the perturbations it draws (:data:`KINDS`) and the
report it returns (:class:`LookaheadReport`) live in private modules of this package.
"""

from sktemporal.lookahead._check import check_no_lookahead
from sktemporal.lookahead._perturbation import KINDS
from sktemporal.lookahead._report import LookaheadDetail, LookaheadError, LookaheadReport

__all__ = ["KINDS", "LookaheadDetail", "LookaheadError", "LookaheadReport", "check_no_lookahead"]
