"""The search for look-ahead: fit on the past, perturb the future, compare the past's outputs."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from sktemporal.lookahead._panel import PanelCalendar, SeriesCut, is_panel
from sktemporal.lookahead._perturbation import KINDS, as_array, copy_rows
from sktemporal.lookahead._report import LookaheadError, build_report, format_time

__all__ = ["check_no_lookahead"]

# Output methods of the final step that are compared, in report order.
_PREDICTION_METHODS = ("predict_proba", "decision_function", "predict")


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

    A **panel** (a DataFrame indexed by (entity, time), as
    :class:`~sktemporal.SlidingWindowTransformer` takes it) is cut by **date**, not by row
    position: for a cutoff date, every entity's rows dated after it are perturbed, all
    entities at once, and every output row dated on or before it, of every entity, must stay
    the same, whatever the row order (grouped by entity or interleaved by date).

    Parameters
    ----------
    estimator : estimator or Pipeline
        What to check. With ``fit=True`` it is cloned, never modified.
    X : array-like or DataFrame of shape (n_rows, ...)
        Rows in time order, in any form the estimator accepts (a 3-D array of windows too);
        or a panel, a DataFrame whose index has two levels, (entity, time), each entity's
        rows in time order.
    y : array-like of shape (n_rows,), default=None
        One label per row of ``X``, used only to fit: ``y[:cutoffs[0]]`` (for a panel, the
        labels of the rows dated on or before the first cutoff).
    cutoffs : int or sequence of int, or date or sequence of dates, default=None
        Rows ``>= cutoff`` are perturbed, for each cutoff in turn; each must be in
        ``[1, n_rows - 1]``. ``None`` uses ``n_rows // 2``, ``3 * n_rows // 4`` and
        ``n_rows - 1`` (the last perturbs only the last row, the one a ``shift(-1)`` reads).

        For a panel, cutoffs are values of its time level (a date, or a string such as
        ``"2024-03-01"`` for dates; not row positions): every entity's rows dated **after**
        the cutoff are perturbed, the rows dated on or before it compared. Each must be on
        or after the panel's first date and before its last; it need not be a date of the
        panel. ``None`` uses the dates of the panel's calendar (the sorted union of its
        entities' dates) just before positions ``n_dates // 2`` and ``3 * n_dates // 4``,
        and its last date but one, as for one series.
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
        fitted (on any rows: only ``transform`` and prediction are then checked). A panel is
        fitted on every entity's rows dated on or before the first cutoff, in input order.
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
        ``details`` per output, cutoff and kind; ``print(report)`` summarises them. For a
        panel, ``first_row`` is the position of the moved row with the earliest date, and
        ``first_entity`` and ``first_date`` name it.

    Raises
    ------
    LookaheadError
        With ``raise_on_leak=True``, when a leak is found.
    ValueError
        If ``X`` has fewer than 2 rows (a panel, fewer than 2 dates), a cutoff is out of
        range (for a panel, is a row position or not a date), ``y`` has another number of
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

    **Panels.** The rows after a row position are not the later dates of a panel: grouped by
    entity, they are the last entities' whole histories, and perturbing them moves a
    cross-sectional step (a mean over the assets of each date) at earlier rows although no
    date's output reads a later date; a per-entity ``shift(-1)`` is only caught inside the
    last entities. Cutting by date checks what a back-test by date relies on: nothing known
    on a date depends on any entity's later rows. A step that mixes entities *of the same
    date* passes; one that reads another entity's, or its own, later date is caught.

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

    A panel of two assets is cut by date; a rolling mean centred within each asset reads the
    asset's next row:

    >>> import pandas as pd
    >>> dates = pd.bdate_range("2024-01-01", periods=20)
    >>> panel = pd.concat(
    ...     {"AAA": pd.DataFrame({"close": X[:20, 0]}, index=dates),
    ...      "BBB": pd.DataFrame({"close": X[20:40, 1]}, index=dates)},
    ...     names=["asset", "date"],
    ... )
    >>> centred = FunctionTransformer(
    ...     lambda df: df.groupby(level="asset").transform(
    ...         lambda s: s.rolling(3, center=True, min_periods=1).mean()
    ...     )
    ... )
    >>> report = check_no_lookahead(centred, panel, cutoffs="2024-01-15", random_state=0)
    >>> report.leaks, report.first_entity, report.first_date.date()
    (True, 'AAA', datetime.date(2024, 1, 15))
    """
    n_rows = _check_table(X)
    calendar = PanelCalendar(X.index) if is_panel(X) else None
    if calendar is None:
        cutoffs = _check_cutoffs(cutoffs, n_rows)
        cuts = [SeriesCut(cutoff) for cutoff in cutoffs]
    else:
        cutoffs = calendar.cutoffs(cutoffs)
        cuts = [calendar.cut(cutoff) for cutoff in cutoffs]
    kinds = _check_kinds(kinds)
    rng = check_random_state(random_state)

    if fit:
        fitted = _fit_prefix(estimator, X, y, cuts[0], n_rows)
    else:
        check_is_fitted(estimator)
        fitted = estimator
    stages = _stages(fitted)
    methods = _final_methods(stages[-1])
    outputs = [(name, "transform") for name, _ in stages[:-1]]
    outputs += [(stages[-1][0], method) for method in methods]
    reference = _reference_outputs(stages, methods, X, n_rows, outputs, atol)

    # One cutoff and kind at a time, in this order: the draws of rng, and so the report for
    # a seed, stay the same.
    results = {}
    for cut in cuts:
        for kind in kinds:
            moves = _moves_at(
                stages, methods, X, reference, outputs, cut, kind, n_trials, rng, atol
            )
            for index, entry in enumerate(moves):
                results[(index, cut.cutoff, kind)] = entry
    report = build_report(
        outputs,
        results,
        cutoffs=cutoffs,
        kinds=kinds,
        n_trials=n_trials,
        atol=atol,
        panel_index=None if calendar is None else X.index,
    )
    if report.leaks and raise_on_leak:
        raise LookaheadError(report)
    return report


def _final_methods(final_stage):
    """The final step's output methods that are compared, in report order."""
    final_name, final = final_stage
    methods = [m for m in _PREDICTION_METHODS if hasattr(final, m)]
    if not methods:
        if not hasattr(final, "transform"):
            raise TypeError(
                f"{final_name} ({type(final).__name__}) has none of predict_proba, "
                "decision_function, predict or transform: there is no output to check."
            )
        methods = ["transform"]
    return methods


def _reference_outputs(stages, methods, X, n_rows, outputs, atol):
    """Every output on ``X`` itself, after checking that a second run gives the same."""
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
    return reference


def _moves_at(stages, methods, X, reference, outputs, cut, kind, n_trials, rng, atol):
    """``[n_moved, first_row, max_abs_diff]`` of every output over ``n_trials`` trials.

    Each trial perturbs the future of ``cut`` (the rows from a row position on, or every
    entity's rows after a date) as ``kind`` says and compares every output on the past rows
    with its ``reference`` on ``X``.
    """
    n_rows = len(reference[0])  # every output has one row per row of X (_aligned)
    moves = [[0, None, 0.0] for _ in outputs]
    for _ in range(n_trials):
        perturbed = cut.perturb(X, kind, rng)
        try:
            moved = _run(stages, methods, perturbed, n_rows)
        except _StepFailed as failure:
            raise ValueError(
                f"{failure.step} failed on X with {cut.describe()} perturbed "
                f"({kind!r}): {str(failure.error).rstrip('.')}. Leave that kind out "
                "(kinds=...) or make the step accept such values."
            ) from failure.error
        for (step, method), before, after, entry in zip(
            outputs, reference, moved, moves, strict=True
        ):
            if before.shape != after.shape:
                raise ValueError(
                    f"{step}.{method} returns an output of shape {after.shape} on the "
                    f"perturbed X but {before.shape} on X; its rows cannot be compared."
                )
            rows, diff = _moved_rows(before[cut.past], after[cut.past], atol)
            entry[2] = max(entry[2], diff)
            if rows.size:
                entry[0] += 1
                first = cut.first(rows)
                entry[1] = first if entry[1] is None else cut.earlier(entry[1], first)
    return moves


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


def _fit_prefix(estimator, X, y, cut, n_rows):
    """Fit a clone of ``estimator`` on the past of ``cut``, the first cutoff."""
    if not hasattr(estimator, "fit"):
        raise TypeError(f"{type(estimator).__name__} has no fit method; pass fit=False.")
    fitted = clone(estimator)
    past = cut.past
    X_past = X.iloc[past] if isinstance(X, pd.DataFrame | pd.Series) else as_array(X)[past]
    if y is None:
        args = (X_past,)
    else:
        if len(y) != n_rows:
            raise ValueError(
                f"y has {len(y)} rows but X has {n_rows}; y must hold one label per row of X "
                "(only the labels of the rows before the first cutoff are used)."
            )
        args = (X_past, y.iloc[past] if isinstance(y, pd.Series) else np.asarray(y)[past])
    try:
        fitted.fit(*args)
    except Exception as error:
        if isinstance(cut, SeriesCut):
            rows = f"{cut.cutoff} rows before the first cutoff"
        else:
            rows = (
                f"{len(past)} rows dated on or before the first cutoff, {format_time(cut.cutoff)}"
            )
        error.add_note(
            f"check_no_lookahead: raised while fitting {type(estimator).__name__} on the "
            f"{rows}; use later cutoffs, pass y, or fit it yourself and pass fit=False."
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
        return _run(stages, methods, copy_rows(X), n_rows)
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
