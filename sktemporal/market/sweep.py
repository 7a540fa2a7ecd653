"""Out-of-sample backtests over a range of choices: confidence thresholds and CPCV paths.

- :func:`threshold_sweep` backtests the out-of-sample predictions at each of a range of
  confidence thresholds, so that the choice of one can be read, and is seen to be a choice;
  :meth:`ThresholdSweep.overfitting` gives the odds that picking its best row is overfit;
- :func:`path_backtests` backtests every path of predictions cross-validated with CPCV.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import validate_params

from sktemporal.market.backtest import COST_BPS_CONSTRAINT
from sktemporal.market.out_of_sample import backtest_predictions, prediction_classes
from sktemporal.market.overfitting import backtest_overfitting
from sktemporal.market.serialization import format_number, nan_to_none

__all__ = [
    "SWEEP_COLUMNS",
    "ThresholdSweep",
    "default_thresholds",
    "path_backtest_report",
    "path_backtests",
    "threshold_sweep",
]


#: Columns of :attr:`ThresholdSweep.table`.
SWEEP_COLUMNS = (
    "coverage",
    "n_trades",
    "exposure",
    "hit_rate",
    "total_return",
    "sharpe",
    "max_drawdown",
)


@dataclass
class ThresholdSweep:
    """The out-of-sample backtest at each of a range of confidence thresholds.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per threshold (index ``confidence``), columns :data:`SWEEP_COLUMNS`:
        coverage (share of days whose top class reached it), trades (positions opened),
        exposure (share of days in the market), hit rate (share of days in the market
        that gained), total return, Sharpe ratio and maximum drawdown of the strategy.
    buy_and_hold : dict of str to float
        The same metrics of buy-and-hold over the same days.
    cost_bps : float
    long_only : bool
    returns : pandas.DataFrame or None
        The strategy's daily returns after costs, one column per threshold: what
        :meth:`overfitting` selects from.
    """

    table: pd.DataFrame
    buy_and_hold: dict
    cost_bps: float
    long_only: bool
    returns: pd.DataFrame | None = None

    def overfitting(self, n_blocks=16):
        """The odds that picking the sweep's best threshold is overfit: PBO and DSR.

        :func:`~sktemporal.market.overfitting.backtest_overfitting` on :attr:`returns`: the
        probability of backtest overfitting of choosing the threshold with the best Sharpe
        ratio, and the deflated Sharpe ratio of that threshold, every threshold of the sweep
        counted as a trial.

        Parameters
        ----------
        n_blocks : int, default=16
            Blocks of the combinatorially symmetric cross-validation.

        Returns
        -------
        OverfittingOdds
        """
        if self.returns is None:
            raise ValueError("this sweep holds no daily returns; run threshold_sweep again.")
        return backtest_overfitting(self.returns, n_blocks=n_blocks)

    def to_dict(self):
        """JSON-ready form (NaN → None)."""
        return nan_to_none(
            {
                "cost_bps": self.cost_bps,
                "long_only": self.long_only,
                "thresholds": [
                    {"confidence": float(threshold), **row}
                    for threshold, row in self.table.to_dict(orient="index").items()
                ],
                "buy_and_hold": self.buy_and_hold,
            }
        )

    @staticmethod
    def format_cell(name, value):
        """One cell of the sweep as text: trades as a count, the rest to 4 decimals."""
        return str(int(value)) if name == "n_trades" else format_number(value)

    def format_table(self):
        """The sweep as text, buy-and-hold last, as ``sktemporal backtest`` prints it."""
        names = [name.removeprefix("n_") for name in SWEEP_COLUMNS]
        header = f"{'confidence':>10}" + "".join(f"{name:>14}" for name in names)
        lines = [header, "-" * len(header)]
        rows = [(f"{threshold:g}", row) for threshold, row in self.table.iterrows()]
        for label, row in [*rows, ("buy & hold", self.buy_and_hold)]:
            cells = "".join(f"{self.format_cell(name, row[name]):>14}" for name in SWEEP_COLUMNS)
            lines.append(f"{label:>10}{cells}")
        return "\n".join(lines)


def default_thresholds(n_classes):
    """Confidence thresholds from just above chance (``1 / n_classes``) to 0.95, by 0.05."""
    start = np.ceil(20.0 / n_classes + 1e-9) / 20.0
    return np.round(np.arange(start, 0.951, 0.05), 2)


@validate_params(
    {
        "predictions": [pd.DataFrame],
        "close": [pd.Series],
        "thresholds": ["array-like", None],
        "cost_bps": COST_BPS_CONSTRAINT,
        "long_only": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def threshold_sweep(predictions, close, *, thresholds=None, cost_bps=0.0, long_only=False):
    """Backtest the out-of-sample predictions at each of a range of confidence thresholds.

    One :func:`backtest_predictions` per threshold, on the same predictions and closes: how
    coverage, trades, hit rate, return, Sharpe ratio and drawdown move with the threshold.
    The sweep is read on the out-of-sample predictions that any chosen threshold is then
    judged on, so picking the best row of it overfits: it shows how much the result depends
    on the choice, not which choice is right.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Out-of-sample predictions, as :func:`read_oos_predictions` returns them.
    close : pandas.Series
        Closing prices indexed by date, as for :func:`backtest_predictions`.
    thresholds : array-like of float in [0, 1], default=None
        ``None``: from just above chance to 0.95 by 0.05 (:func:`default_thresholds`).
    cost_bps : float, default=0.0
        Cost of trading one unit of position, in basis points.
    long_only : bool, default=False
        Stay flat instead of going short.

    Returns
    -------
    ThresholdSweep
    """
    if thresholds is None:
        thresholds = default_thresholds(len(prediction_classes(predictions)))
    thresholds = np.asarray(thresholds, dtype=float).ravel()
    if thresholds.size == 0 or not np.all((thresholds >= 0) & (thresholds <= 1)):
        raise ValueError(f"thresholds must be probabilities in [0, 1], got {thresholds}.")
    rows, returns = {}, {}
    for threshold in thresholds:
        result = backtest_predictions(
            predictions, close, threshold=float(threshold), cost_bps=cost_bps, long_only=long_only
        )
        returns[float(threshold)] = result.result.returns
        metrics = result.result.metrics
        rows[float(threshold)] = {
            "coverage": result.coverage,
            "n_trades": result.n_trades,
            **{name: metrics[name] for name in SWEEP_COLUMNS[2:]},
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(SWEEP_COLUMNS))
    table.index.name = "confidence"
    benchmark = result.result.benchmark_metrics
    buy_and_hold = {
        "coverage": 1.0,
        "n_trades": 1,
        **{name: benchmark[name] for name in SWEEP_COLUMNS[2:]},
    }
    returns = pd.DataFrame(returns)
    returns.columns.name = "confidence"
    return ThresholdSweep(table, buy_and_hold, float(cost_bps), bool(long_only), returns)


@validate_params(
    {
        "paths": [list],
        "close": [pd.Series],
        "thresholds": ["array-like"],
        "cost_bps": COST_BPS_CONSTRAINT,
        "long_only": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def path_backtests(paths, close, *, thresholds=(0.0, 0.65), cost_bps=0.0, long_only=False):
    """Backtest every path of CPCV predictions at a few confidence thresholds.

    Each path is a full out-of-sample history of the same days (:func:`split_paths`), so
    the spread of a metric over the paths is the spread of the backtest itself, which one
    walk-forward path cannot show.

    Parameters
    ----------
    paths : list of pandas.DataFrame
        Single-path out-of-sample predictions over the same dates.
    close : pandas.Series
        Closing prices indexed by date, as for :func:`backtest_predictions`.
    thresholds : array-like of float in [0, 1], default=(0.0, 0.65)
        0 acts on every day's most probable class.
    cost_bps : float, default=0.0
    long_only : bool, default=False

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(path, confidence)`` (paths from 1), columns :data:`SWEEP_COLUMNS`.
    """
    return _stacked_tables(_path_sweeps(paths, close, thresholds, cost_bps, long_only))


def _path_sweeps(paths, close, thresholds, cost_bps, long_only):
    """One :func:`threshold_sweep` per path, keyed by path number (from 1)."""
    return {
        number: threshold_sweep(
            predictions, close, thresholds=thresholds, cost_bps=cost_bps, long_only=long_only
        )
        for number, predictions in enumerate(paths, start=1)
    }


def _stacked_tables(sweeps):
    """The sweeps' tables in one frame indexed by ``(path, confidence)``."""
    return pd.concat({number: sweep.table for number, sweep in sweeps.items()}, names=["path"])


def path_backtest_report(paths, close, *, thresholds=(0.0, 0.65), cost_bps=0.0, long_only=False):
    """The backtest of every CPCV path, JSON-ready, with the Sharpe ratio's spread over paths.

    Parameters
    ----------
    paths, close, thresholds, cost_bps, long_only
        As for :func:`path_backtests`.

    Returns
    -------
    dict
        ``paths``: one entry per (path, confidence) with the columns of
        :data:`SWEEP_COLUMNS`; ``sharpe_over_paths``: by confidence, the mean, standard
        deviation (``ddof=1``) and lowest Sharpe ratio over the paths;
        ``buy_and_hold_sharpe``: buy-and-hold over the same days (the same for every path).
    """
    sweeps = _path_sweeps(paths, close, thresholds, cost_bps, long_only)
    table = _stacked_tables(sweeps)
    sharpe = table["sharpe"].groupby(level="confidence")
    return nan_to_none(
        {
            "paths": [
                {"path": int(path), "confidence": float(confidence), **row}
                for (path, confidence), row in table.to_dict(orient="index").items()
            ],
            "sharpe_over_paths": {
                f"{confidence:g}": {
                    "mean": float(sharpe.mean()[confidence]),
                    "std": float(sharpe.std(ddof=1)[confidence]),
                    "worst": float(sharpe.min()[confidence]),
                }
                for confidence in sorted(set(table.index.get_level_values("confidence")))
            },
            # Buy-and-hold is the same on every path: the same days and closes.
            "buy_and_hold_sharpe": float(sweeps[1].buy_and_hold["sharpe"]),
        }
    )
