"""The odds that a backtest chosen from many is overfit: PBO and the deflated Sharpe ratio.

Trying several settings (confidence thresholds, hyperparameters) on the same history and
keeping the best one selects luck along with skill. Two measures say how much:

- the **probability of backtest overfitting** (PBO; Bailey, Borwein, López de Prado and Zhu,
  "The Probability of Backtest Overfitting", *Journal of Computational Finance* 20(4), 2017),
  estimated by combinatorially symmetric cross-validation (CSCV): the period is cut into
  ``n_blocks`` blocks; for every way of taking half of them as the in-sample set, the
  setting with the best in-sample Sharpe ratio is ranked among all settings on the other
  half. PBO is the share of those splits where it ranks below the median. 0.5 means that
  picking the best in-sample setting is no better than picking one at random.
- the **deflated Sharpe ratio** (DSR; Bailey and López de Prado, "The Deflated Sharpe Ratio:
  Correcting for Selection Bias, Backtest Overfitting, and Non-Normality", *Journal of
  Portfolio Management* 40(5), 2014): the probability that the selected setting's true
  Sharpe ratio exceeds the best Sharpe ratio expected from ``N`` settings without skill,

  .. math::

     SR^* = \\sqrt{V[\\widehat{SR}]}\\left((1 - \\gamma)\\,\\Phi^{-1}(1 - 1/N)
            + \\gamma\\,\\Phi^{-1}(1 - 1/(N e))\\right),

  with :math:`V[\\widehat{SR}]` the variance of the ``N`` settings' Sharpe ratios and
  :math:`\\gamma` the Euler-Mascheroni constant, corrected for the length, skewness and
  kurtosis of the returns (the probabilistic Sharpe ratio at the benchmark :math:`SR^*`).

Both are computed by the ``purgedcv`` library (``probability_of_backtest_overfitting``,
``deflated_sharpe_ratio``, ``probabilistic_sharpe_ratio``); this module feeds them the daily
returns of the settings that were tried.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, validate_params

from sktemporal.market.serialization import format_number, nan_to_none

__all__ = ["OverfittingOdds", "backtest_overfitting"]


@dataclass
class OverfittingOdds:
    """PBO of a search over settings and the deflated Sharpe ratio of the one it selects.

    Attributes
    ----------
    pbo : float
        Probability of backtest overfitting, in [0, 1].
    n_combinations : int
        CSCV splits it was estimated on, ``C(n_blocks, n_blocks / 2)``.
    n_blocks : int
        Blocks the period was cut into.
    n_trials : int
        Settings tried.
    n_active : int
        Settings whose returns vary (a setting that never trades earns 0 every day and
        counts as a trial with a Sharpe ratio of 0).
    selected : object
        The setting with the highest Sharpe ratio over the whole period; None when no
        setting ever held a position (every odd is then NaN).
    selected_sharpe : float
        Its annualised Sharpe ratio.
    probabilistic_sharpe_ratio : float
        Probability that its true Sharpe ratio exceeds 0, had it been the only setting
        tried.
    deflated_sharpe_ratio : float
        Probability that its true Sharpe ratio exceeds the best expected from
        ``n_trials`` settings without skill.
    n_periods : int
        Returns per setting.
    """

    pbo: float
    n_combinations: int
    n_blocks: int
    n_trials: int
    n_active: int
    selected: object
    selected_sharpe: float
    probabilistic_sharpe_ratio: float
    deflated_sharpe_ratio: float
    n_periods: int

    def to_dict(self):
        """JSON-ready form (NaN → None)."""
        selected = self.selected
        if isinstance(selected, np.generic):
            selected = selected.item()
        return nan_to_none({**self.__dict__, "selected": selected})

    def format_text(self, setting="setting"):
        """Three lines for a terminal: PBO, the selected setting, its DSR."""
        if self.n_active == 0:
            return (
                f"probability of backtest overfitting: none of the {self.n_trials} settings ever "
                "held a position, so there is no selection to judge"
            )
        return "\n".join(
            [
                f"probability of backtest overfitting (PBO, CSCV over {self.n_blocks} blocks, "
                f"{self.n_combinations} splits): {format_number(self.pbo)}"
                + ("; 0.5 is no better than a random pick" if self.pbo >= 0.5 else ""),
                f"selected {setting}: {self.selected}, the highest Sharpe ratio of "
                f"{self.n_trials} ({self.n_active} of which ever held a position) over the "
                f"{self.n_periods} days: {format_number(self.selected_sharpe)} annualised",
                f"deflated Sharpe ratio: {format_number(self.deflated_sharpe_ratio)} (the "
                f"probability that its true Sharpe ratio beats the best of {self.n_trials} "
                f"settings without skill; {format_number(self.probabilistic_sharpe_ratio)} "
                "that it beats 0, had it been the only one tried)",
            ]
        )


@validate_params(
    {
        "returns": [pd.DataFrame],
        "n_blocks": [Interval(Integral, 2, None, closed="left")],
        "periods_per_year": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def backtest_overfitting(returns, *, n_blocks=16, periods_per_year=252):
    """PBO of selecting the best of several backtests, and the DSR of the one selected.

    Parameters
    ----------
    returns : pandas.DataFrame
        One column per setting tried (its name is the setting), one row per period, in time
        order: each setting's returns over the same periods.
    n_blocks : int, default=16
        Blocks of the CSCV, an even number; ``C(n_blocks, n_blocks / 2)`` splits (12 870 for
        16, the choice of Bailey et al.).
    periods_per_year : float, default=252
        To annualise the selected Sharpe ratio (the PBO and DSR do not depend on it).

    Returns
    -------
    OverfittingOdds

    Raises
    ------
    ValueError
        If there are fewer than 2 settings, fewer periods than blocks, an odd ``n_blocks``,
        or a return that is not finite.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sktemporal.market.overfitting import backtest_overfitting
    >>> noise = pd.DataFrame(np.random.default_rng(0).normal(0, 0.01, (500, 10)))
    >>> odds = backtest_overfitting(noise, n_blocks=8)
    >>> odds.n_combinations, odds.deflated_sharpe_ratio < 0.5
    (70, True)
    """
    from purgedcv import (
        deflated_sharpe_ratio,
        probabilistic_sharpe_ratio,
        probability_of_backtest_overfitting,
    )

    values = returns.to_numpy(dtype=float)
    if values.shape[1] < 2:
        raise ValueError(
            f"returns must hold 2 or more settings (columns) to select from; got "
            f"{values.shape[1]}."
        )
    if not np.isfinite(values).all():
        raise ValueError("returns must all be finite numbers.")
    if n_blocks % 2:
        raise ValueError(f"n_blocks must be even (CSCV halves the blocks); got {n_blocks}.")
    if len(values) < n_blocks:
        raise ValueError(
            f"returns have {len(values)} periods, fewer than n_blocks={n_blocks}; use fewer "
            "blocks."
        )
    n_active = int(np.sum(np.ptp(values, axis=0) > 0))
    if n_active == 0:
        # Every setting earned nothing: there is no selection to judge.
        nan = float("nan")
        return OverfittingOdds(
            pbo=nan,
            n_combinations=0,
            n_blocks=int(n_blocks),
            n_trials=values.shape[1],
            n_active=0,
            selected=None,
            selected_sharpe=nan,
            probabilistic_sharpe_ratio=nan,
            deflated_sharpe_ratio=nan,
            n_periods=len(values),
        )
    pbo = probability_of_backtest_overfitting(values.T, n_splits=n_blocks)
    sharpes = np.array([_sharpe(column) for column in values.T])
    best = int(np.argmax(sharpes))
    selected = values[:, best]
    return OverfittingOdds(
        pbo=float(pbo.pbo),
        n_combinations=int(pbo.n_combos),
        n_blocks=int(n_blocks),
        n_trials=values.shape[1],
        n_active=n_active,
        selected=returns.columns[best],
        selected_sharpe=float(sharpes[best] * np.sqrt(periods_per_year)),
        probabilistic_sharpe_ratio=_probability(probabilistic_sharpe_ratio, selected, 0.0),
        deflated_sharpe_ratio=_probability(
            deflated_sharpe_ratio, selected, values.shape[1], float(np.var(sharpes, ddof=1))
        ),
        n_periods=len(values),
    )


def _sharpe(returns):
    """Per-period Sharpe ratio; 0 for constant returns (a setting that never trades)."""
    std = np.std(returns, ddof=1)
    return float(np.mean(returns) / std) if std > 0 else 0.0


def _probability(function, returns, *args):
    """A Sharpe-ratio probability; NaN for constant returns, which have no Sharpe ratio."""
    if np.std(returns) == 0:
        return float("nan")
    return float(function(returns, *args))
