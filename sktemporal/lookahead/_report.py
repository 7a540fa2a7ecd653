"""What :func:`~sktemporal.lookahead.check_no_lookahead` finds, and how it is told.

One :class:`LookaheadDetail` per output, cutoff and kind; the :class:`LookaheadReport` that
gathers them (its summary, its table); the :class:`LookaheadError` raised with it.
"""

from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "LookaheadDetail",
    "LookaheadError",
    "LookaheadReport",
    "build_report",
    "format_time",
]


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
    cutoff : int or date
        Rows ``>= cutoff`` were perturbed; rows ``< cutoff`` were compared. For a panel, a
        date of its time level: every entity's rows dated after it were perturbed, the rows
        dated on or before it compared.
    kind : str
        The perturbation: ``"noise"``, ``"extreme"``, ``"shuffle"`` or ``"constant"``.
    n_trials : int
        Perturbations tried.
    n_moved : int
        Trials in which at least one compared row moved by more than ``atol``.
    first_row : int or None
        Earliest row, over the trials, whose output moved; ``None`` if none did. For a panel,
        the position in ``X`` of the moved row with the earliest date (the first such row
        in ``X`` among those of that date).
    max_abs_diff : float
        Largest absolute change over the compared rows and trials (``inf`` where a value
        turned NaN or back, or a non-numeric output changed).
    first_entity, first_date : object or None
        For a panel, the entity and date of ``first_row``; ``None`` otherwise.
    """

    step: str
    output: str
    cutoff: object
    kind: str
    n_trials: int
    n_moved: int
    first_row: int | None
    max_abs_diff: float
    first_entity: object = field(default=None, repr=False)
    first_date: object = field(default=None, repr=False)

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
        ``None`` without a leak. For a panel, the position in ``X`` of the moved row with the
        earliest date.
    max_abs_diff : float
        Largest absolute change of any compared output (at most ``atol`` without a leak).
    details : list of LookaheadDetail
        One entry per output, cutoff and kind, in pipeline order.
    outputs : tuple of str
        The compared outputs, ``"step.output"``, in pipeline order.
    cutoffs : tuple of int or of dates
        The cutoffs used: row positions, or for a panel dates of its time level.
    kinds : tuple of str
        The perturbation kinds used.
    n_trials : int
        Perturbations per cutoff and kind.
    atol : float
        Largest change not counted as a move.
    panel : bool
        Whether ``X`` was a panel, cut by date.
    first_entity, first_date : object or None
        For a panel with a leak, the entity and date of ``first_row``; ``None`` otherwise.
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
    panel: bool = field(default=False, repr=False)
    first_entity: object = field(default=None, repr=False)
    first_date: object = field(default=None, repr=False)

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
            ``first_row``, ``max_abs_diff`` and ``leaks``; for a panel, ``first_entity`` and
            ``first_date`` after ``first_row``.
        """
        columns = [
            "step",
            "output",
            "cutoff",
            "kind",
            "n_trials",
            "n_moved",
            "first_row",
            *(("first_entity", "first_date") if self.panel else ()),
            "max_abs_diff",
        ]
        frame = pd.DataFrame(
            [[getattr(detail, c) for c in columns] for detail in self.details], columns=columns
        )
        frame["leaks"] = frame["n_moved"] > 0
        return frame

    def __str__(self):
        if self.panel:
            return self._panel_text()
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
            *self._leaking_lines(),
            "  " + checked,
        ]
        return "\n".join(lines)

    def _panel_text(self):
        dates = ", ".join(format_time(cutoff) for cutoff in self.cutoffs)
        checked = (
            f"Checked {len(self.outputs)} output(s) ({', '.join(self.outputs)}) of a panel at "
            f"cutoff dates [{dates}] under {', '.join(self.kinds)} x {self.n_trials} "
            f"trial(s), atol={self.atol:g}."
        )
        if not self.leaks:
            return (
                "No look-ahead found: no output of any entity dated on or before a cutoff date "
                "moved when every entity's rows dated after it were perturbed (largest change "
                f"{self.max_abs_diff:g}). " + checked
            )
        first = min(
            (d for d in self.details if d.leaks),
            key=lambda d: (d.first_date, d.first_row, d.cutoff),
        )
        lines = [
            f"Look-ahead found: step {self.first_leaking_step!r} is the first whose output "
            "dated on or before a cutoff date moved when only the rows dated after it (of "
            "every entity) were perturbed.",
            f"  earliest moved row: {first.first_row}, entity {first.first_entity!r} on "
            f"{format_time(first.first_date)} (cutoff date {format_time(first.cutoff)}, "
            f"{first.kind!r} perturbation, in {first.name}); largest change: "
            f"{self.max_abs_diff:g}",
            *self._leaking_lines(),
            "  " + checked,
        ]
        return "\n".join(lines)

    def _leaking_lines(self):
        lines = ["  leaking outputs (perturbations that moved the past / perturbations tried):"]
        for name in self.leaking_outputs():
            mine = [d for d in self.details if d.name == name]
            kinds = sorted({d.kind for d in mine if d.leaks}, key=self.kinds.index)
            lines.append(
                f"    {name}: {sum(d.n_moved for d in mine)}/{sum(d.n_trials for d in mine)}"
                f" (kinds: {', '.join(kinds)})"
            )
        return lines


def format_time(value):
    """A date as ``2024-01-31`` when it has no time of day, anything else as ``str``."""
    if isinstance(value, pd.Timestamp) and value.tz is None and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)


def build_report(outputs, results, *, cutoffs, kinds, n_trials, atol, panel_index=None):
    """Gather the moves found per output, cutoff and kind into a :class:`LookaheadReport`.

    Parameters
    ----------
    outputs : list of (str, str)
        ``(step, method)`` of every compared output, in pipeline order.
    results : dict
        ``{(output index, cutoff, kind): (n_moved, first_row or None, max_abs_diff)}``.
    cutoffs : sequence of int
        The cutoffs used, ascending.
    kinds : tuple of str
        The perturbation kinds used, in the order reported.
    n_trials : int
        Perturbations per cutoff and kind.
    atol : float
        Largest change not counted as a move.
    panel_index : pandas.MultiIndex or None, default=None
        The (entity, time) index of a panel cut by date, to name the entity and date of each
        first moved row; ``None`` for one series, cut at row positions.

    Returns
    -------
    report : LookaheadReport
        Details in pipeline order, then by cutoff, then by kind.
    """
    panel = panel_index is not None

    def label(row):
        if not panel or row is None:
            return None, None
        return panel_index[int(row)]

    details = [
        LookaheadDetail(
            step=outputs[index][0],
            output=outputs[index][1],
            cutoff=cutoff if panel else int(cutoff),
            kind=kind,
            n_trials=n_trials,
            n_moved=n_moved,
            first_row=None if first_row is None else int(first_row),
            max_abs_diff=float(diff),
            first_entity=label(first_row)[0],
            first_date=label(first_row)[1],
        )
        for (index, cutoff, kind), (n_moved, first_row, diff) in sorted(
            results.items(), key=lambda item: item[0][:2] + (kinds.index(item[0][2]),)
        )
    ]
    leaking = [detail for detail in details if detail.leaks]
    if panel and leaking:
        # The earliest date first; among rows of that date, the first in X.
        first = min(leaking, key=lambda d: (d.first_date, d.first_row))
    elif leaking:
        first = min(leaking, key=lambda d: d.first_row)
    else:
        first = None
    return LookaheadReport(
        leaks=bool(leaking),
        first_leaking_step=leaking[0].step if leaking else None,
        first_row=None if first is None else first.first_row,
        max_abs_diff=max((d.max_abs_diff for d in details), default=0.0),
        details=details,
        outputs=tuple(f"{step}.{method}" for step, method in outputs),
        cutoffs=tuple(cutoffs) if panel else tuple(int(c) for c in cutoffs),
        kinds=kinds,
        n_trials=int(n_trials),
        atol=float(atol),
        panel=panel,
        first_entity=None if first is None else first.first_entity,
        first_date=None if first is None else first.first_date,
    )
