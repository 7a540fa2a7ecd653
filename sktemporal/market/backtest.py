"""Vectorised, look-ahead-free backtest of daily long / flat / short positions.

:func:`backtest` turns a series of positions decided at each close into the equity curve they
would have earned, net of trading costs, and compares it with buying and holding the asset
over the same period. It imports neither Keras nor matplotlib.

The metrics are written out with NumPy rather than taken from a performance library: each is
a one-line formula, fixed exactly in :func:`backtest`'s docstring, and libraries disagree on
conventions (degrees of freedom, downside deviation, annualisation) that a dependency would
hide.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, validate_params

from sktemporal.windowing import check_time_index

__all__ = ["COST_BPS_CONSTRAINT", "BacktestResult", "backtest"]

#: ``validate_params`` constraint of a trading cost in basis points: finite and >= 0.
COST_BPS_CONSTRAINT = [Interval(Real, 0, None, closed="left")]

METRIC_NAMES = (
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "hit_rate",
    "turnover",
    "exposure",
)


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`backtest`: the strategy, and buy-and-hold over the same period.

    With ``n`` prices there are ``n - 1`` return periods: ``equity`` has ``n`` values, indexed
    like ``close``; ``returns`` and ``positions`` have ``n - 1``, indexed by the close at which
    each period ends.

    Attributes
    ----------
    equity : pandas.Series
        Value of the strategy at each close, starting at 1.0 at the first close.
    returns : pandas.Series
        Strategy return of each period after costs: ``equity`` at this close over ``equity``
        at the previous close, minus 1.
    positions : pandas.Series
        Position held over each period, after ``long_only`` is applied: the position decided
        at the previous close.
    metrics : dict of str to float
        Performance of the strategy; see :func:`backtest` for the formulas.
    benchmark_equity : pandas.Series
        Value of buy-and-hold (always long from the first close), starting at 1.0.
    benchmark_returns : pandas.Series
        Buy-and-hold return of each period after costs.
    benchmark_metrics : dict of str to float
        The metrics of buy-and-hold.
    """

    equity: pd.Series
    returns: pd.Series
    positions: pd.Series
    metrics: dict
    benchmark_equity: pd.Series
    benchmark_returns: pd.Series
    benchmark_metrics: dict

    @property
    def drawdown(self):
        """pandas.Series: strategy equity over its running peak, minus 1 (zero or negative)."""
        return self.equity / self.equity.cummax() - 1.0

    def summary(self):
        """Return the metrics of the strategy and of buy-and-hold side by side.

        Returns
        -------
        table : pandas.DataFrame
            One row per metric, columns ``strategy`` and ``buy_and_hold``.
        """
        return pd.DataFrame(
            {"strategy": self.metrics, "buy_and_hold": self.benchmark_metrics},
            index=list(METRIC_NAMES),
        )

    def to_frame(self):
        """Return the daily series in one table, indexed like ``close``.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``equity``, ``benchmark_equity``, ``returns``, ``benchmark_returns`` and
            ``positions``; the last three are NaN on the first row, where no period has
            ended yet.
        """
        return pd.DataFrame(
            {
                "equity": self.equity,
                "benchmark_equity": self.benchmark_equity,
                "returns": self.returns,
                "benchmark_returns": self.benchmark_returns,
                "positions": self.positions,
            }
        )


@validate_params(
    {
        "cost_bps": COST_BPS_CONSTRAINT,
        "long_only": ["boolean"],
        "periods_per_year": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def backtest(positions, close, cost_bps=0.0, long_only=False, periods_per_year=252):
    """Backtest daily positions against closing prices, without look-ahead.

    The position decided at close ``t`` is held until close ``t + 1`` and earns that
    period's return, ``close[t + 1] / close[t] - 1``. The position at the last close has no
    following return and is dropped, together with the cost of reaching it: ``n`` closes give
    ``n - 1`` periods. A position change is charged when it is made, at close ``t``:
    ``|position[t] - position[t - 1]| * cost_bps / 1e4``, with the strategy flat before the
    first close, so entering costs one unit and going from long to short two. The cost is
    subtracted from the return of the period that follows::

        returns[t] = position[t] * (close[t + 1] / close[t] - 1) - cost[t]
        equity = cumulative product of (1 + returns), starting at 1.0

    The benchmark buys at the first close and holds to the last (position 1 on every
    period), paying the same ``cost_bps`` once, to enter.

    Parameters
    ----------
    positions : pandas.Series or array-like of shape (n,)
        Position decided at each close: ``-1`` short, ``0`` flat, ``1`` long.
    close : pandas.Series or array-like of shape (n,)
        Closing prices, all positive. When both inputs are Series their indexes must be
        equal; a ``DatetimeIndex`` must be sorted and without duplicates. Arrays are matched
        by position, and must then have the same length.
    cost_bps : float, default=0.0
        Cost of trading one unit of position, in basis points of the traded value.
    long_only : bool, default=False
        Replace short positions (``-1``) by flat (``0``) before backtesting.
    periods_per_year : float, default=252
        Number of periods in a year, to annualise (252 for daily trading days).

    Returns
    -------
    result : BacktestResult
        Equity, returns, positions held and metrics of the strategy and of buy-and-hold.

    Raises
    ------
    ValueError
        If a price is missing, infinite or not positive; if a position is not -1, 0 or 1;
        if the inputs differ in length or index; if a ``DatetimeIndex`` is unsorted or
        duplicated; if there are fewer than two closes; or if ``cost_bps`` or
        ``periods_per_year`` is invalid.

    Notes
    -----
    With ``r`` the ``n - 1`` period returns after costs, ``E`` the equity (``E[0] = 1``) and
    ``P`` = ``periods_per_year``, the metrics are:

    - ``total_return`` = ``E[-1] - 1``.
    - ``cagr`` = ``E[-1] ** (P / (n - 1)) - 1``; ``-1.0`` when ``E[-1] <= 0`` (everything
      lost, which shorting can do).
    - ``annual_volatility`` = ``std(r, ddof=1) * sqrt(P)``.
    - ``sharpe`` = ``mean(r) / std(r, ddof=1) * sqrt(P)``, with a zero risk-free rate.
    - ``sortino`` = ``mean(r) / sqrt(mean(min(r, 0) ** 2)) * sqrt(P)``: the downside
      deviation is taken against zero, over all periods.
    - ``max_drawdown`` = ``min(E / running_max(E) - 1)``, zero or negative.
    - ``hit_rate`` = share of the periods in the market (position held not 0) whose return
      ``r`` is positive.
    - ``turnover`` = mean over the periods of ``|position[t] - position[t - 1]|``, entry from
      flat included (the changes that are charged).
    - ``exposure`` = share of the periods with a position other than 0.

    A metric that is undefined is NaN, without warning: the volatility and Sharpe ratio of
    fewer than two periods or of constant returns, the Sortino ratio without a losing
    period, the hit rate without a period in the market.

    Examples
    --------
    >>> from sktemporal.market.backtest import backtest
    >>> close = [100.0, 110.0, 99.0, 99.0, 108.9]  # returns +10%, -10%, 0%, +10%
    >>> result = backtest([1, -1, 0, 1, 0], close, periods_per_year=4)
    >>> result.equity.round(4).tolist()
    [1.0, 1.1, 1.21, 1.21, 1.331]
    >>> result.benchmark_equity.round(4).tolist()
    [1.0, 1.1, 0.99, 0.99, 1.089]
    >>> result.summary().round(3)
                       strategy  buy_and_hold
    total_return          0.331         0.089
    cagr                  0.331         0.089
    annual_volatility     0.100         0.191
    sharpe                3.000         0.522
    sortino                 NaN         1.000
    max_drawdown          0.000        -0.100
    hit_rate              1.000         0.500
    turnover              1.250         0.250
    exposure              0.750         1.000
    """
    index, positions, close = _check_inputs(positions, close)
    if long_only:
        positions = np.where(positions < 0, 0.0, positions)

    asset_returns = close[1:] / close[:-1] - 1.0
    held = positions[:-1]  # the last position has no next return: dropped
    strategy = _simulate(held, asset_returns, cost_bps, periods_per_year)
    benchmark = _simulate(np.ones_like(held), asset_returns, cost_bps, periods_per_year)

    period_index = index[1:]
    return BacktestResult(
        equity=pd.Series(strategy["equity"], index=index, name="equity"),
        returns=pd.Series(strategy["returns"], index=period_index, name="returns"),
        positions=pd.Series(held, index=period_index, name="positions"),
        metrics=strategy["metrics"],
        benchmark_equity=pd.Series(benchmark["equity"], index=index, name="benchmark_equity"),
        benchmark_returns=pd.Series(
            benchmark["returns"], index=period_index, name="benchmark_returns"
        ),
        benchmark_metrics=benchmark["metrics"],
    )


def _simulate(held, asset_returns, cost_bps, periods_per_year):
    """Equity, returns after costs and metrics of the positions ``held`` over each period."""
    changes = np.abs(np.diff(held, prepend=0.0))
    returns = held * asset_returns - changes * cost_bps / 1e4
    equity = np.concatenate([[1.0], np.cumprod(1.0 + returns)])

    n_periods = len(returns)
    in_market = held != 0
    final = equity[-1]
    std = np.std(returns, ddof=1) if n_periods > 1 else np.nan
    downside = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2))
    annualise = np.sqrt(periods_per_year)
    metrics = {
        "total_return": final - 1.0,
        "cagr": final ** (periods_per_year / n_periods) - 1.0 if final > 0 else -1.0,
        "annual_volatility": std * annualise,
        "sharpe": _ratio(np.mean(returns), std) * annualise,
        "sortino": _ratio(np.mean(returns), downside) * annualise,
        "max_drawdown": np.min(equity / np.maximum.accumulate(equity) - 1.0),
        "hit_rate": _ratio(np.sum(returns[in_market] > 0), np.sum(in_market)),
        "turnover": np.mean(changes),
        "exposure": np.mean(in_market),
    }
    return {
        "equity": equity,
        "returns": returns,
        "metrics": {name: float(value) for name, value in metrics.items()},
    }


def _ratio(numerator, denominator):
    """``numerator / denominator``, NaN when the denominator is zero or NaN."""
    if not denominator > 0:
        return np.nan
    return numerator / denominator


def _check_inputs(positions, close):
    """Validate and align the inputs; return the index and both as float arrays."""
    for name, values in (("positions", positions), ("close", close)):
        if np.ndim(values) != 1:
            raise ValueError(
                f"{name} must be one-dimensional (a Series or a 1-D array); "
                f"got an input of shape {np.shape(values)}."
            )

    if isinstance(positions, pd.Series) and isinstance(close, pd.Series):
        if not positions.index.equals(close.index):
            raise ValueError(
                "positions and close must have the same index, one position per close; "
                f"{_describe_index_mismatch(positions.index, close.index)}. Align them first, "
                "e.g. positions.reindex(close.index)."
            )
    elif len(positions) != len(close):
        raise ValueError(
            f"positions and close must have the same length, one position per close; got "
            f"{len(positions)} positions and {len(close)} prices."
        )
    if isinstance(close, pd.Series):
        index = close.index
    elif isinstance(positions, pd.Series):
        index = positions.index
    else:
        index = pd.RangeIndex(len(close))
    check_time_index(index)
    if len(index) < 2:
        raise ValueError(
            f"A backtest needs at least 2 closes (one return period); got {len(index)}."
        )

    close = _to_float(close, "close")
    bad = ~np.isfinite(close)
    if bad.any():
        raise ValueError(
            f"close has {bad.sum()} missing or infinite price(s), the first at "
            f"{index[np.argmax(bad)]!r}; fill or drop them (e.g. close.ffill()) before "
            "backtesting."
        )
    if (close <= 0).any():
        first = np.argmax(close <= 0)
        raise ValueError(
            f"close must hold positive prices; got {close[first]} at {index[first]!r}."
        )

    positions = _to_float(positions, "positions")
    bad = ~np.isin(positions, [-1.0, 0.0, 1.0])  # NaN is not in the set either
    if bad.any():
        wrong = pd.unique(positions[bad])[:5].tolist()
        raise ValueError(
            "positions must hold only -1 (short), 0 (flat) or 1 (long); got "
            f"{wrong} (first at {index[np.argmax(bad)]!r}). Map predicted labels to "
            "these values first."
        )
    return index, positions, close


def _to_float(values, name):
    try:
        if isinstance(values, pd.Series):
            return values.to_numpy(dtype=float, na_value=np.nan)
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must be numeric; converting it to float failed: {error}"
        ) from error


def _describe_index_mismatch(left, right):
    if len(left) != len(right):
        return f"positions has {len(left)} rows and close {len(right)}"
    first = int(np.argmax(left.to_numpy() != right.to_numpy()))
    return (
        f"they first differ at row {first}: {left[first]!r} in positions, "
        f"{right[first]!r} in close"
    )
