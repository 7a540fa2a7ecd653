"""Check that a fitted estimator's outputs before a time never depend on the rows after it.

A *look-ahead leak* is an output at row ``t`` that changes when only rows ``>= cutoff > t``
change: a centred rolling mean, a backfill, a ``shift(-1)``, a scaler fitted inside
``transform`` on the whole table, a future return computed as a feature. Back-tests of such a
pipeline look far better than any live use can be, since live, the future rows do not exist
yet. :func:`check_no_lookahead` looks for these leaks empirically: it perturbs the future and
checks that no output of the past moves, step by step through a
:class:`~sklearn.pipeline.Pipeline`.
"""

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted

__all__ = ["LookaheadDetail", "LookaheadError", "LookaheadReport", "check_no_lookahead"]

#: Perturbations of the rows from the cutoff on, in the default order.
KINDS = ("noise", "extreme", "shuffle", "constant")

# Output methods of the final step that are compared, in report order.
_PREDICTION_METHODS = ("predict_proba", "decision_function", "predict")
_EXTREME = 1e6


class LookaheadError(ValueError):
    """Raised by :func:`check_no_lookahead` with ``raise_on_leak=True`` when it finds a leak.

    Attributes
    ----------
    report : LookaheadReport
        The full report; the message is its summary.
    """

    def __init__(self, report):
        super().__init__(str(report))
        self.report = report


@dataclass(frozen=True)
class LookaheadDetail:
    """Result of one output at one cutoff under one kind of perturbation, over all trials.

    Attributes
    ----------
    step : str
        Name of the pipeline step that produced the output (nested pipelines as
        ``outer__inner``), or the estimator's class name when it is not a pipeline.
    output : str
        ``"transform"`` for intermediate steps; ``"predict_proba"``,
        ``"decision_function"``, ``"predict"`` or ``"transform"`` for the final step.
    cutoff : int
        Rows ``>= cutoff`` were perturbed; rows ``< cutoff`` were compared.
    kind : str
        The perturbation: ``"noise"``, ``"extreme"``, ``"shuffle"`` or ``"constant"``.
    n_trials : int
        Perturbations tried.
    n_moved : int
        Trials in which at least one compared row moved by more than ``atol``.
    first_row : int or None
        Earliest row, over the trials, whose output moved; ``None`` if none did.
    max_abs_diff : float
        Largest absolute change over the compared rows and trials (``inf`` where a value
        turned NaN or back, or a non-numeric output changed).
    """

    step: str
    output: str
    cutoff: int
    kind: str
    n_trials: int
    n_moved: int
    first_row: int | None
    max_abs_diff: float

    @property
    def leaks(self):
        """bool: whether a row before the cutoff moved in any trial."""
        return self.n_moved > 0

    @property
    def name(self):
        """str: ``"step.output"``, how the output is named in reports."""
        return f"{self.step}.{self.output}"


@dataclass
class LookaheadReport:
    """Outcome of :func:`check_no_lookahead`.

    Attributes
    ----------
    leaks : bool
        Whether any compared output before a cutoff moved when only rows from the cutoff on
        were perturbed.
    first_leaking_step : str or None
        The first step, in pipeline order, with a leaking output; ``None`` without a leak.
        A leak propagates to every later step, so this is the step to look at.
    first_row : int or None
        The earliest row, over all outputs, cutoffs and perturbations, whose output moved;
        ``None`` without a leak.
    max_abs_diff : float
        Largest absolute change of any compared output (at most ``atol`` without a leak).
    details : list of LookaheadDetail
        One entry per output, cutoff and kind, in pipeline order.
    outputs : tuple of str
        The compared outputs, ``"step.output"``, in pipeline order.
    cutoffs : tuple of int
        The cutoffs used.
    kinds : tuple of str
        The perturbation kinds used.
    n_trials : int
        Perturbations per cutoff and kind.
    atol : float
        Largest change not counted as a move.
    """

    leaks: bool
    first_leaking_step: str | None
    first_row: int | None
    max_abs_diff: float
    details: list = field(default_factory=list)
    outputs: tuple = ()
    cutoffs: tuple = ()
    kinds: tuple = ()
    n_trials: int = 1
    atol: float = 0.0

    def leaking_outputs(self):
        """Names of the outputs that moved, in pipeline order.

        Returns
        -------
        names : list of str
            ``"step.output"`` of every output with a leaking detail.
        """
        moved = {detail.name for detail in self.details if detail.leaks}
        return [name for name in self.outputs if name in moved]

    def to_frame(self):
        """The details as a DataFrame, one row per output, cutoff and kind.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``step``, ``output``, ``cutoff``, ``kind``, ``n_trials``, ``n_moved``,
            ``first_row``, ``max_abs_diff`` and ``leaks``.
        """
        columns = [
            "step",
            "output",
            "cutoff",
            "kind",
            "n_trials",
            "n_moved",
            "first_row",
            "max_abs_diff",
        ]
        frame = pd.DataFrame(
            [[getattr(detail, c) for c in columns] for detail in self.details], columns=columns
        )
        frame["leaks"] = frame["n_moved"] > 0
        return frame

    def __str__(self):
        checked = (
            f"Checked {len(self.outputs)} output(s) ({', '.join(self.outputs)}) at cutoffs "
            f"{list(self.cutoffs)} under {', '.join(self.kinds)} x {self.n_trials} trial(s), "
            f"atol={self.atol:g}."
        )
        if not self.leaks:
            return (
                "No look-ahead found: no output before a cutoff moved when the rows from the "
                f"cutoff on were perturbed (largest change {self.max_abs_diff:g}). " + checked
            )
        first = min((d for d in self.details if d.leaks), key=lambda d: (d.first_row, d.cutoff))
        lines = [
            f"Look-ahead found: step {self.first_leaking_step!r} is the first whose output "
            "before a cutoff moved when only the rows from the cutoff on were perturbed.",
            f"  earliest moved row: {first.first_row} (cutoff {first.cutoff}, "
            f"{first.kind!r} perturbation, in {first.name}); largest change: "
            f"{self.max_abs_diff:g}",
            "  leaking outputs (perturbations that moved the past / perturbations tried):",
        ]
        for name in self.leaking_outputs():
            mine = [d for d in self.details if d.name == name]
            kinds = sorted({d.kind for d in mine if d.leaks}, key=self.kinds.index)
            lines.append(
                f"    {name}: {sum(d.n_moved for d in mine)}/{sum(d.n_trials for d in mine)}"
                f" (kinds: {', '.join(kinds)})"
            )
        lines.append("  " + checked)
        return "\n".join(lines)


@validate_params(
    {
        "n_trials": [Interval(Integral, 1, None, closed="left")],
        "fit": ["boolean"],
        "atol": [Interval(Real, 0, None, closed="left")],
        "raise_on_leak": ["boolean"],
        "random_state": ["random_state"],
    },
    # The estimator's own parameters are checked when check_no_lookahead fits it.
    prefer_skip_nested_validation=False,
)
def check_no_lookahead(
    estimator,
    X,
    y=None,
    *,
    cutoffs=None,
    n_trials=3,
    kinds=KINDS,
    fit=True,
    atol=0.0,
    raise_on_leak=False,
    random_state=None,
):
    """Check that no output of an estimator at a row depends on later rows.

    The rows of ``X`` are time steps, in time order. The estimator is fitted once on the rows
    before the first cutoff (or used as it is, with ``fit=False``). Then, for each cutoff
    ``c``, each kind of perturbation and each trial, the rows ``>= c`` of ``X`` are replaced
    and every output of the estimator on rows ``< c`` is compared with its output on the
    original ``X``:

    - for a :class:`~sklearn.pipeline.Pipeline`, the ``transform`` output of every step but
      the last, step by step (nested pipelines are followed into), so that the step where a
      leak starts is named;
    - the final outputs: ``predict_proba``, ``decision_function`` and ``predict``, those the
      final step has, else its ``transform``.

    Any row before the cutoff that moves by more than ``atol`` is a leak: that output, at that
    row, read the future. NaN equals NaN in the comparison.

    Parameters
    ----------
    estimator : estimator or Pipeline
        What to check. With ``fit=True`` it is cloned, never modified.
    X : array-like or DataFrame of shape (n_rows, ...)
        Rows in time order, in any form the estimator accepts (a 3-D array of windows too).
    y : array-like of shape (n_rows,), default=None
        One label per row of ``X``, used only to fit: ``y[:cutoffs[0]]``.
    cutoffs : int or sequence of int, default=None
        Rows ``>= cutoff`` are perturbed, for each cutoff in turn; each must be in
        ``[1, n_rows - 1]``. ``None`` uses ``n_rows // 2``, ``3 * n_rows // 4`` and
        ``n_rows - 1`` (the last perturbs only the last row, the one a ``shift(-1)`` reads).
    n_trials : int, default=3
        Random perturbations per cutoff and kind.
    kinds : sequence of str, default=("noise", "extreme", "shuffle", "constant")
        How the future rows are replaced, column by column:

        - ``"noise"``: plus Gaussian noise of the column's standard deviation (times
          ``exp(N(0, 1))`` for a column of positive values, so prices stay positive);
        - ``"extreme"``: ``±1e6`` times the column's standard deviation (for a positive
          column, ``1e6`` or ``1e-6`` times it; for a non-negative one, that or 0);
        - ``"shuffle"``: the future rows in another random order (a single future row is
          left as it is);
        - ``"constant"``: one value of the column, repeated.

        Integer columns stay integers; non-numeric columns are shuffled (or one of their
        future values repeated, for ``"constant"``).
    fit : bool, default=True
        Fit a clone of ``estimator`` on the rows before the first cutoff, so that its fitted
        state knows nothing of any perturbed row. ``False`` checks ``estimator`` as already
        fitted (on any rows: only ``transform`` and prediction are then checked).
    atol : float, default=0.0
        Changes up to ``atol`` are not counted as moves. Keep 0 for deterministic
        estimators: a row that does not read the future gets bit-identical outputs.
    raise_on_leak : bool, default=False
        Raise :class:`LookaheadError` (a ``ValueError``) with the report's summary instead of
        returning a report that has ``leaks=True``.
    random_state : int, RandomState instance or None, default=None
        Seed of the perturbations.

    Returns
    -------
    report : LookaheadReport
        ``leaks``, ``first_leaking_step``, ``first_row``, ``max_abs_diff`` and the
        ``details`` per output, cutoff and kind; ``print(report)`` summarises them.

    Raises
    ------
    LookaheadError
        With ``raise_on_leak=True``, when a leak is found.
    ValueError
        If ``X`` has fewer than 2 rows, a cutoff is out of range, ``y`` has another number of
        rows than ``X``, a parameter is invalid, a step returns another number of rows than
        it was given (its rows cannot be aligned with the input's: drop rows after the
        pipeline, not inside it), an output differs between two runs on the same ``X``
        (unseeded randomness cannot be told from look-ahead), or a step fails on a perturbed
        ``X`` (leave that kind out).
    TypeError
        If ``X`` is sparse, or the final step has no output method.

    See Also
    --------
    sktemporal.SlidingWindowTransformer : Windows that contain only past rows.
    sktemporal.market.labels.make_direction_labels : Labels, which look ahead by design.

    Notes
    -----
    **Check features and predictions, not labels.** A direction label at row ``t`` is made
    from the prices of rows ``t`` to ``t + horizon``: it looks ahead by design, and the
    checker flags :func:`~sktemporal.market.labels.make_direction_labels` if it is wrapped as a
    feature. Labels enter only through ``y`` at fit time; keep their future out of the test
    rows with ``TimeSeriesSplit(gap=horizon)``.

    The check is empirical: a leak it reports is certain (the past output did move, and an
    output that differs between two runs on the same ``X`` is rejected first), but passing it
    does not prove the absence of a leak that the perturbations did not trigger (for instance
    one that reads only the number of rows, or the index, which are never perturbed). Several
    cutoffs, kinds and trials make a miss unlikely for leaks that read future values.

    The estimator sees the whole perturbed table at once, as a back-test would: an output at
    row ``t`` that depends on statistics of the whole input (e.g. a scaler refitted inside
    ``transform``) is a leak even if each step is "row-wise". Fitting happens once, on the rows
    before the first cutoff, so what ``fit`` learns is never from a perturbed row.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer, StandardScaler
    >>> from sktemporal.lookahead import check_no_lookahead
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2)).cumsum(axis=0)
    >>> y = (rng.normal(size=60) > 0).astype(int)
    >>> causal = make_pipeline(StandardScaler(), LogisticRegression())
    >>> check_no_lookahead(causal, X, y, random_state=0).leaks
    False

    A step that reads the next row is caught, and named:

    >>> peek = FunctionTransformer(lambda X: np.roll(X, -1, axis=0))
    >>> leaky = make_pipeline(StandardScaler(), peek, LogisticRegression())
    >>> report = check_no_lookahead(leaky, X, y, random_state=0)
    >>> report.leaks, report.first_leaking_step, report.first_row
    (True, 'functiontransformer', 29)
    >>> report.leaking_outputs()
    ['functiontransformer.transform', 'logisticregression.predict_proba', \
'logisticregression.decision_function', 'logisticregression.predict']
    """
    n_rows = _check_table(X)
    cutoffs = _check_cutoffs(cutoffs, n_rows)
    kinds = _check_kinds(kinds)
    rng = check_random_state(random_state)

    if fit:
        fitted = _fit_prefix(estimator, X, y, cutoffs[0], n_rows)
    else:
        check_is_fitted(estimator)
        fitted = estimator
    stages = _stages(fitted)
    final_name, final = stages[-1]
    methods = [m for m in _PREDICTION_METHODS if hasattr(final, m)]
    if not methods:
        if not hasattr(final, "transform"):
            raise TypeError(
                f"{final_name} ({type(final).__name__}) has none of predict_proba, "
                "decision_function, predict or transform: there is no output to check."
            )
        methods = ["transform"]
    outputs = [(name, "transform") for name, _ in stages[:-1]]
    outputs += [(final_name, method) for method in methods]

    reference = _run_unperturbed(stages, methods, X, n_rows)
    again = _run_unperturbed(stages, methods, X, n_rows)
    for (step, method), first, second in zip(outputs, reference, again, strict=True):
        rows, _ = _moved_rows(first, second, atol)
        if rows.size:
            raise ValueError(
                f"{step}.{method} gives different outputs in two runs on the same X (first at "
                f"row {rows[0]}): unseeded randomness cannot be told apart from look-ahead. "
                "Seed the estimator (random_state) or raise atol."
            )

    # results[(output index, cutoff, kind)] = [n_moved, first_row, max_abs_diff]
    results = {}
    for cutoff in cutoffs:
        for kind in kinds:
            for _ in range(n_trials):
                perturbed = _perturb(X, cutoff, kind, rng)
                try:
                    moved = _run(stages, methods, perturbed, n_rows)
                except _StepFailed as failure:
                    raise ValueError(
                        f"{failure.step} failed on X with the rows from {cutoff} on perturbed "
                        f"({kind!r}): {str(failure.error).rstrip('.')}. Leave that kind out "
                        "(kinds=...) or make the step accept such values."
                    ) from failure.error
                for index, (before, after) in enumerate(zip(reference, moved, strict=True)):
                    step, method = outputs[index]
                    if before.shape != after.shape:
                        raise ValueError(
                            f"{step}.{method} returns an output of shape {after.shape} on the "
                            f"perturbed X but {before.shape} on X; its rows cannot be compared."
                        )
                    rows, diff = _moved_rows(before[:cutoff], after[:cutoff], atol)
                    entry = results.setdefault((index, cutoff, kind), [0, None, 0.0])
                    entry[2] = max(entry[2], diff)
                    if rows.size:
                        entry[0] += 1
                        entry[1] = rows[0] if entry[1] is None else min(entry[1], rows[0])

    details = [
        LookaheadDetail(
            step=outputs[index][0],
            output=outputs[index][1],
            cutoff=int(cutoff),
            kind=kind,
            n_trials=n_trials,
            n_moved=n_moved,
            first_row=None if first_row is None else int(first_row),
            max_abs_diff=float(diff),
        )
        for (index, cutoff, kind), (n_moved, first_row, diff) in sorted(
            results.items(), key=lambda item: item[0][:2] + (kinds.index(item[0][2]),)
        )
    ]
    leaking = [detail for detail in details if detail.leaks]
    report = LookaheadReport(
        leaks=bool(leaking),
        first_leaking_step=leaking[0].step if leaking else None,
        first_row=min(d.first_row for d in leaking) if leaking else None,
        max_abs_diff=max((d.max_abs_diff for d in details), default=0.0),
        details=details,
        outputs=tuple(f"{step}.{method}" for step, method in outputs),
        cutoffs=tuple(int(c) for c in cutoffs),
        kinds=kinds,
        n_trials=int(n_trials),
        atol=float(atol),
    )
    if report.leaks and raise_on_leak:
        raise LookaheadError(report)
    return report


# ---------------------------------------------------------------------------- validation


def _check_table(X):
    """Number of rows of ``X``; reject what cannot be cut into past and future rows."""
    if sp.issparse(X):
        raise TypeError(
            "check_no_lookahead needs a dense X (array or DataFrame) to perturb its rows; "
            "got a sparse matrix. Pass X.toarray()."
        )
    if isinstance(X, pd.DataFrame | pd.Series):
        n_rows = len(X)
    else:
        shape = np.shape(X)
        if len(shape) == 0:
            raise ValueError(
                "X must hold one row per time step; got a scalar. Pass an array or DataFrame."
            )
        n_rows = shape[0]
    if n_rows < 2:
        raise ValueError(
            f"X has {n_rows} row(s); checking for look-ahead needs at least 2 (rows before a "
            "cutoff to compare, rows from it on to perturb)."
        )
    return n_rows


def _check_cutoffs(cutoffs, n_rows):
    if cutoffs is None:
        return sorted({max(1, n_rows // 2), max(1, 3 * n_rows // 4), n_rows - 1})
    values = [cutoffs] if isinstance(cutoffs, Integral) else list(np.ravel(cutoffs))
    if not values:
        raise ValueError("cutoffs is empty; give at least one row index, or None.")
    for value in values:
        if not isinstance(value, Integral) or isinstance(value, bool | np.bool_):
            raise ValueError(f"cutoffs must be integers (row positions), got {value!r}.")
        if not 1 <= value <= n_rows - 1:
            raise ValueError(
                f"cutoff {int(value)} is out of range: X has {n_rows} rows, so each cutoff must "
                f"be between 1 and {n_rows - 1} (rows before it are compared, rows from it on "
                "perturbed)."
            )
    return sorted({int(value) for value in values})


def _check_kinds(kinds):
    if isinstance(kinds, str):
        kinds = (kinds,)
    kinds = tuple(kinds)
    if not kinds:
        raise ValueError(f"kinds is empty; choose from {list(KINDS)}.")
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown perturbation kind(s) {unknown}; choose from {list(KINDS)}.")
    return tuple(dict.fromkeys(kinds))


def _fit_prefix(estimator, X, y, cutoff, n_rows):
    """Fit a clone of ``estimator`` on the rows before ``cutoff``."""
    if not hasattr(estimator, "fit"):
        raise TypeError(f"{type(estimator).__name__} has no fit method; pass fit=False.")
    fitted = clone(estimator)
    X_past = X.iloc[:cutoff] if isinstance(X, pd.DataFrame | pd.Series) else _as_array(X)[:cutoff]
    if y is None:
        args = (X_past,)
    else:
        if len(y) != n_rows:
            raise ValueError(
                f"y has {len(y)} rows but X has {n_rows}; y must hold one label per row of X "
                "(only the labels of the rows before the first cutoff are used)."
            )
        args = (X_past, y.iloc[:cutoff] if isinstance(y, pd.Series) else np.asarray(y)[:cutoff])
    try:
        fitted.fit(*args)
    except Exception as error:
        error.add_note(
            f"check_no_lookahead: raised while fitting {type(estimator).__name__} on the "
            f"{cutoff} rows before the first cutoff; use later cutoffs, pass y, or fit it "
            "yourself and pass fit=False."
        )
        raise
    return fitted


# ---------------------------------------------------------------------------- running


def _stages(estimator, name=None):
    """``(name, fitted estimator)`` of every step, nested pipelines flattened.

    Steps keep their pipeline names (``outer__inner`` inside a nested pipeline); an estimator
    that is not a pipeline is named by its class.
    """
    if not isinstance(estimator, Pipeline):
        return [(name or type(estimator).__name__, estimator)]
    stages = []
    for step_name, step in estimator.steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        stages.extend(_stages(step, step_name if name is None else f"{name}__{step_name}"))
    if not stages:
        raise TypeError("The pipeline has only 'passthrough' steps: there is no output to check.")
    for step_name, step in stages[:-1]:
        if not hasattr(step, "transform"):
            raise TypeError(
                f"Pipeline step {step_name!r} ({type(step).__name__}) has no transform."
            )
    return stages


class _StepFailed(Exception):
    def __init__(self, step, error):
        super().__init__(step)
        self.step, self.error = step, error


def _run(stages, methods, X, n_rows):
    """Every compared output on ``X``, as arrays with ``n_rows`` rows, in report order."""
    outputs = []
    Xt = X
    for name, step in stages[:-1]:
        Xt = _call(name, step, "transform", Xt)
        outputs.append(_aligned(Xt, f"{name}.transform", n_rows))
    name, final = stages[-1]
    for method in methods:
        outputs.append(_aligned(_call(name, final, method, Xt), f"{name}.{method}", n_rows))
    return outputs


def _run_unperturbed(stages, methods, X, n_rows):
    """``_run`` on a copy of ``X``; a step's own error is raised as it is, with a note."""
    try:
        return _run(stages, methods, _copy(X), n_rows)
    except _StepFailed as failure:
        failure.error.add_note(f"check_no_lookahead: raised by {failure.step} on X itself.")
        raise failure.error from None


def _call(name, step, method, X):
    try:
        return getattr(step, method)(X)
    except Exception as error:
        raise _StepFailed(f"{name}.{method}", error) from error


def _aligned(output, name, n_rows):
    if sp.issparse(output):
        output = output.toarray()
    # A copy: a later step must not change, in place, the output kept for comparison.
    array = np.array(output, copy=True)
    if array.ndim == 0 or array.shape[0] != n_rows:
        got = "a scalar" if array.ndim == 0 else f"{array.shape[0]} rows"
        raise ValueError(
            f"{name} returns {got} for {n_rows} input rows, so its rows cannot be aligned with "
            "the input's and look-ahead cannot be checked. Each step must return one row per "
            "input row: drop rows (warm-up, unlabelled tail) after the pipeline, not inside it."
        )
    return array


def _moved_rows(before, after, atol):
    """Positions of the rows that moved by more than ``atol``, and the largest change."""
    if before.size == 0:
        return np.empty(0, dtype=int), 0.0
    if before.dtype.kind in "biufc" and after.dtype.kind in "biufc":
        a = before.astype(np.complex128 if before.dtype.kind == "c" else np.float64)
        b = after.astype(a.dtype)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.where(same, 0.0, np.abs(a - b))
        diff = np.where(np.isnan(diff), np.inf, diff)
    else:
        same = (before == after) | (pd.isna(before) & pd.isna(after))
        diff = np.where(same, 0.0, np.inf)
    diff = diff.reshape(len(diff), -1)
    moved = np.flatnonzero((diff > atol).any(axis=1))
    return moved, float(diff.max())


# ---------------------------------------------------------------------------- perturbations


def _as_array(X):
    return X if isinstance(X, np.ndarray) else np.asarray(X)


def _copy(X):
    if isinstance(X, pd.DataFrame | pd.Series):
        return X.copy(deep=True)
    return np.array(X, copy=True)


def _perturb(X, cutoff, kind, rng):
    """A copy of ``X`` with rows ``>= cutoff`` replaced as ``kind`` says."""
    n_rows = len(X)
    if kind == "shuffle":
        permutation = rng.permutation(n_rows - cutoff)
        if (permutation == np.arange(len(permutation))).all():
            permutation = np.roll(permutation, 1)  # never the identity, from 2 rows on
        order = np.r_[np.arange(cutoff), cutoff + permutation]
        if isinstance(X, pd.DataFrame | pd.Series):
            return X.iloc[order].set_axis(X.index, axis=0)
        return _as_array(X)[order].copy()
    if isinstance(X, pd.Series):
        return _perturb_series(X, cutoff, kind, rng)
    if isinstance(X, pd.DataFrame):
        perturbed = X.copy(deep=True)
        for position in range(X.shape[1]):
            column = _perturb_series(X.iloc[:, position], cutoff, kind, rng)
            perturbed.isetitem(position, column.array)  # by position: the index may repeat
        return perturbed
    array = _as_array(X)
    flat = array.reshape(n_rows, -1)
    columns = [_perturb_values(flat[:, j], cutoff, kind, rng) for j in range(flat.shape[1])]
    return np.stack(columns, axis=1).reshape(array.shape) if columns else array.copy()


def _perturb_series(series, cutoff, kind, rng):
    dtype = series.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if isinstance(dtype, np.dtype) or not numeric:
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            values = _perturb_values(series.to_numpy(), cutoff, kind, rng)
            return pd.Series(values, index=series.index, name=series.name)
        return _reorder(series, cutoff, kind, rng)
    # Numeric extension dtype (Int64, Float64...): perturb as float, cast back.
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    new = _perturb_floats(values, cutoff, kind, rng, integer=dtype.kind in "iu")
    return pd.Series(pd.array(new, dtype=dtype), index=series.index, name=series.name)


def _reorder(series, cutoff, kind, rng):
    """Non-numeric column: future values shuffled, or one of them repeated."""
    n_future = len(series) - cutoff
    if kind == "constant":
        future = np.full(n_future, cutoff + rng.randint(n_future))
    else:
        future = cutoff + rng.permutation(n_future)
    return series.iloc[np.r_[np.arange(cutoff), future]].set_axis(series.index)


def _perturb_values(values, cutoff, kind, rng):
    """One numpy column, of any dtype, with its future replaced; the dtype is kept."""
    kind_code = values.dtype.kind
    if kind_code == "b":
        new = values.copy()
        n_future = len(values) - cutoff
        new[cutoff:] = (
            np.full(n_future, rng.random() < 0.5)
            if kind == "constant"
            else (rng.random(n_future) < 0.5)
        )
        return new
    if kind_code not in "iuf":
        return _reorder(pd.Series(values), cutoff, kind, rng).to_numpy()
    new = _perturb_floats(values.astype(np.float64), cutoff, kind, rng, integer=kind_code in "iu")
    if kind_code in "iu":
        info = np.iinfo(values.dtype)
        return np.clip(new, info.min, info.max).astype(values.dtype)
    return new.astype(values.dtype)


def _perturb_floats(values, cutoff, kind, rng, *, integer=False):
    """float64 column with rows ``>= cutoff`` replaced; positive columns stay positive."""
    finite = values[np.isfinite(values)]
    scale = float(np.std(finite)) if finite.size > 1 else 0.0
    if not np.isfinite(scale) or scale == 0:
        scale = float(np.mean(np.abs(finite))) if finite.size else 0.0
        if not np.isfinite(scale) or scale == 0:
            scale = 1.0
    positive = finite.size > 0 and bool((finite > 0).all())
    non_negative = finite.size > 0 and bool((finite >= 0).all())
    future = values[cutoff:]
    n_future = len(future)
    if kind == "noise":
        if positive:
            new = future * np.exp(rng.normal(size=n_future))
        elif non_negative:
            new = np.abs(future + rng.normal(scale=scale, size=n_future))
        else:
            new = future + rng.normal(scale=scale, size=n_future)
    elif kind == "extreme":
        big = rng.random(n_future) < 0.5
        if positive:
            new = np.where(big, _EXTREME * scale, scale / _EXTREME)
        elif non_negative:
            new = np.where(big, _EXTREME * scale, 0.0)
        else:
            new = np.where(big, _EXTREME * scale, -_EXTREME * scale)
    else:  # constant
        value = rng.choice(finite) if finite.size else rng.normal()
        new = np.full(n_future, value)
    if integer:
        new = np.rint(new)
        if positive:
            new = np.maximum(new, 1.0)
    result = values.copy()
    result[cutoff:] = new
    return result
