"""The training run of ``sktemporal train`` on many assets, its files read back, its backtest.

- :func:`run_panel_training`: evaluate walk-forward by date, fit the final model on every
  asset, check it for look-ahead, write the run's files as one transaction;
- :func:`read_panel_evaluation`: the saved out-of-sample predictions and their prices,
  checked against each other;
- :func:`backtest_panel`: each asset's confidence-gated backtest and the equal-weight
  portfolio of them.
"""

import contextlib
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sktemporal._atomic import locked, sha256
from sktemporal.market.backtest import backtest
from sktemporal.market.direction_model import read_pipeline
from sktemporal.market.labels import make_direction_labels
from sktemporal.market.out_of_sample import backtest_predictions
from sktemporal.market.panel import panel_walk_forward_evaluate
from sktemporal.market.panel_model import fit_panel_model
from sktemporal.market.serialization import iso_date, nan_to_none
from sktemporal.market.walk_forward import fresh_clone, with_callback

__all__ = [
    "BUNDLED_STOCKS_SOURCE",
    "PanelBacktest",
    "PanelEvaluation",
    "backtest_panel",
    "read_panel_evaluation",
    "read_panel_predictions",
    "run_panel_training",
]

#: ``data_source`` that ``sktemporal train`` records for the embedded S&P 500 stocks.
BUNDLED_STOCKS_SOURCE = "bundled S&P 500 stocks"
_PORTFOLIO_MEANS = ("hit_rate", "turnover", "exposure")


def run_panel_training(
    prices,
    classifier,
    files,
    *,
    sequence_length,
    horizon,
    threshold,
    n_splits,
    source,
    test_size=None,
    per_asset_models=False,
    progress=None,
    command_line=None,
):
    """Evaluate ``classifier`` on a panel walk-forward by date, fit it on all assets, save.

    1. :func:`~sktemporal.market.panel.panel_walk_forward_evaluate` scores it per asset and
       pooled against the baselines, keeping the out-of-sample predictions;
    2. :func:`~sktemporal.market.panel_model.fit_panel_model` fits a fresh copy on every
       sample of every asset;
    3. its look-ahead check runs on every asset's last rows, cut by date;
    4. ``files`` (:class:`~sktemporal.market.saved_run.TrainingRunFiles`) writes the model,
       its preprocessing, the predictions and the JSON report as one transaction.

    Returns
    -------
    result : PanelWalkForwardResult
        With the final model as ``result.model``.
    lookahead : LookaheadReport
    report : dict
        The JSON report as written.
    """
    started = time.perf_counter()
    settings = {"sequence_length": sequence_length, "horizon": horizon, "threshold": threshold}
    with progress or contextlib.nullcontext():
        result = panel_walk_forward_evaluate(
            prices,
            classifier,
            n_splits=n_splits,
            test_size=test_size,
            per_asset_models=per_asset_models,
            progress=progress,
            **settings,
        )
        final = fresh_clone(classifier, "final")
        if progress is not None:
            progress.note(
                f"fitting the final model on {result.data['n_samples']} samples of "
                f"{result.data['n_assets']} assets"
            )
            with_callback(final, progress.callback("final"))
        with warnings.catch_warnings():  # the evaluation has named the assets left out
            warnings.filterwarnings("ignore", message="left out", category=UserWarning)
            result.model = fit_panel_model(prices, final, **settings)
        final.set_params(callbacks=classifier.callbacks)
    lookahead = result.model.check_no_lookahead(prices)
    result.model.trained_on["data_source"] = str(source)
    result.model.out_of_sample = {
        key: value for key, value in result.out_of_sample().items() if key != "columns"
    }
    report = result.to_dict()
    report["parameters"]["command_line"] = command_line or {}
    report["data"]["source"] = str(source)
    report["lookahead_check"] = {
        "leaks": lookahead.leaks,
        "rows_checked": "the last 300 rows of every asset, cut by date",
        "first_leaking_step": lookahead.first_leaking_step,
        "max_abs_diff": lookahead.max_abs_diff,
        "kinds": list(lookahead.kinds),
    }
    report["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    files.write(result.model, result.predictions_csv(), nan_to_none(report))
    return result, lookahead, report


def read_panel_predictions(path):
    """Read a panel run's out-of-sample predictions file (``symbol,date,fold,...``).

    Returns
    -------
    pandas.DataFrame
        Indexed by (symbol, date), columns ``fold``, ``y_true``, ``predicted_class`` and
        ``proba_<class>``.
    """
    frame = pd.read_csv(path, keep_default_na=False, dtype={"symbol": str})
    needed = ("symbol", "date", "fold", "y_true", "predicted_class")
    if any(column not in frame.columns for column in needed):
        raise ValueError(f"'{path}' is not the predictions file of a panel run.")
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601")
    return frame.set_index(["symbol", "date"])


@dataclass
class PanelEvaluation:
    """A panel run's saved predictions and the prices they are about.

    Attributes
    ----------
    model_path : pathlib.Path
    pipeline : dict
        The preprocessing file.
    predictions : pandas.DataFrame
        Indexed by (symbol, date).
    prices : pandas.DataFrame
        The price panel.
    source : str
        ``"data"`` when given, else :data:`BUNDLED_STOCKS_SOURCE`.
    """

    model_path: object
    pipeline: dict
    predictions: pd.DataFrame
    prices: pd.DataFrame
    source: str


def read_panel_evaluation(files, data=None):
    """The saved out-of-sample predictions of a panel run, and their prices, checked.

    The predictions file must be the one written with the model (SHA-256); the labels are
    recomputed from each asset's closes and must be those the model was evaluated on.

    Parameters
    ----------
    files : TrainingRunFiles
        The run.
    data : pandas.DataFrame, default=None
        The price panel; ``None`` reads the embedded stocks when the run was on them.

    Returns
    -------
    PanelEvaluation
    """
    with locked(files.model):
        pipeline = read_pipeline(files.model)
        saved = pipeline.get("out_of_sample") or {}
        if not files.predictions.is_file():
            raise FileNotFoundError(
                f"no out-of-sample predictions file '{files.predictions}' next to the model; "
                "keep the files of one `sktemporal train` run together."
            )
        if sha256(files.predictions) != saved.get("sha256"):
            raise ValueError(
                f"'{files.predictions}' is not the predictions file that was written with "
                f"'{files.model}'; keep the files of one `sktemporal train` run together."
            )
        predictions = read_panel_predictions(files.predictions)
    if "panel" not in pipeline:
        raise ValueError(f"'{files.model}' was trained on one series, not on a panel.")
    source = "data"
    if data is None:
        trained_on = pipeline.get("trained_on", {}).get("data_source")
        if trained_on != BUNDLED_STOCKS_SOURCE:
            raise ValueError(
                f"the model was trained on '{trained_on}', not the embedded stocks; give "
                "those prices (--data-path, or data= in Python)."
            )
        from sktemporal.market.datasets import load_sp500_stocks

        data, source = load_sp500_stocks(pipeline["panel"]["symbols"]), BUNDLED_STOCKS_SOURCE
    if not isinstance(data, pd.DataFrame) or data.index.nlevels != 2:
        raise ValueError("a panel model needs a price panel indexed by (symbol, date).")
    _check_labels(predictions, data, pipeline)
    return PanelEvaluation(files.model, pipeline, predictions, data, source)


def _check_labels(predictions, prices, pipeline):
    held = set(prices.index.get_level_values(0))
    for symbol, rows in predictions.groupby(level=0, sort=False):
        if symbol not in held:
            raise ValueError(
                f"the prices have no asset {symbol!r}, which the model was evaluated on; use "
                "the prices it was trained on."
            )
        close = prices.loc[symbol, "close"]
        labels = make_direction_labels(
            close, horizon=pipeline["horizon"], threshold=pipeline["threshold"]
        )
        dates = rows.index.get_level_values(1)
        differ = labels.reindex(dates).to_numpy() != rows["y_true"].to_numpy()
        if differ.any():
            raise ValueError(
                f"the prices of {symbol!r} give other labels than the model was evaluated on, "
                f"on {int(differ.sum())} of {len(differ)} out-of-sample dates (the first "
                f"{iso_date(dates[np.argmax(differ)])}); use the prices it was trained on."
            )


@dataclass
class PanelBacktest:
    """Each asset's confidence-gated backtest and their equal-weight portfolio.

    Attributes
    ----------
    assets : dict of str to OutOfSampleBacktest
        By symbol.
    portfolio : BacktestResult
        The equal-weight portfolio: on each date, the mean of the strategy returns (net of
        costs) of the assets predicted that day (rebalanced daily); its benchmark the mean
        of their buy-and-hold returns. ``hit_rate``, ``turnover`` and ``exposure`` of the
        portfolio are the means of its assets'.
    """

    assets: dict
    portfolio: object

    def to_frame(self):
        """One row per asset and one for the portfolio: strategy and buy-and-hold metrics.

        Returns
        -------
        pandas.DataFrame
        """
        rows = {}
        for symbol, result in self.assets.items():
            rows[symbol] = {
                "coverage": result.coverage,
                "trades": result.n_trades,
                **result.result.metrics,
                "buy_and_hold_return": result.result.benchmark_metrics["total_return"],
                "buy_and_hold_sharpe": result.result.benchmark_metrics["sharpe"],
            }
        rows["equal-weight portfolio"] = {
            "coverage": float(np.mean([r.coverage for r in self.assets.values()])),
            "trades": int(sum(r.n_trades for r in self.assets.values())),
            **self.portfolio.metrics,
            "buy_and_hold_return": self.portfolio.benchmark_metrics["total_return"],
            "buy_and_hold_sharpe": self.portfolio.benchmark_metrics["sharpe"],
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def format_table(self):
        """The table of :meth:`to_frame` as text."""
        columns = (
            "coverage", "trades", "exposure", "hit_rate", "total_return", "sharpe",
            "max_drawdown", "buy_and_hold_return", "buy_and_hold_sharpe",
        )  # fmt: skip
        frame = self.to_frame()
        width = max(len(name) for name in frame.index) + 2
        lines = [f"{'asset':<{width}}" + "".join(f"{c:>21}" for c in columns)]
        for name, row in frame.iterrows():
            cells = "".join(
                f"{int(row[c]):>21}" if c == "trades" else f"{_number(row[c]):>21}"
                for c in columns
            )
            lines.append(f"{name:<{width}}{cells}")
        return "\n".join(lines)

    def to_dict(self):
        """JSON-ready: each asset's backtest and the portfolio's metrics (NaN → None)."""
        return nan_to_none(
            {
                "assets": {symbol: result.to_dict() for symbol, result in self.assets.items()},
                "portfolio": {
                    "weights": "equal, over the assets predicted each day, rebalanced daily",
                    "strategy": dict(self.portfolio.metrics),
                    "buy_and_hold": dict(self.portfolio.benchmark_metrics),
                },
            }
        )


def _number(value):
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.4f}"


def backtest_panel(predictions, prices, *, threshold=0.65, cost_bps=0.0, long_only=False):
    """Backtest each asset's confidence-gated predictions and their equal-weight portfolio.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Out-of-sample predictions indexed by (symbol, date).
    prices : pandas.DataFrame
        The price panel, with ``close``.
    threshold, cost_bps, long_only
        As for :func:`~sktemporal.market.out_of_sample.backtest_predictions`.

    Returns
    -------
    PanelBacktest
    """
    assets = {}
    for symbol, rows in predictions.groupby(level=0, sort=False):
        assets[str(symbol)] = backtest_predictions(
            rows.droplevel(0),
            prices.loc[symbol, "close"],
            threshold=threshold,
            cost_bps=cost_bps,
            long_only=long_only,
        )
    strategy = pd.DataFrame({s: r.result.returns for s, r in assets.items()}).mean(axis=1)
    benchmark = pd.DataFrame({s: r.result.benchmark_returns for s, r in assets.items()}).mean(
        axis=1
    )
    first = min(r.result.equity.index[0] for r in assets.values())
    equity, held_equity = _equity(strategy, first), _equity(benchmark, first)
    result = backtest(pd.Series(1.0, index=equity.index), equity)
    held = backtest(pd.Series(1.0, index=held_equity.index), held_equity)
    metrics = dict(result.metrics)
    for name in _PORTFOLIO_MEANS:
        values = np.array([r.result.metrics[name] for r in assets.values()], dtype=float)
        metrics[name] = (
            float(values[np.isfinite(values)].mean()) if np.isfinite(values).any() else np.nan
        )
    benchmark_metrics = dict(held.metrics)
    portfolio = type(result)(
        equity=result.equity,
        returns=strategy,
        positions=pd.Series(1.0, index=strategy.index, name="positions"),
        metrics=metrics,
        benchmark_equity=held.equity,
        benchmark_returns=benchmark,
        benchmark_metrics=benchmark_metrics,
    )
    return PanelBacktest(assets, portfolio)


def _equity(returns, first):
    """An equity curve from 1.0 at ``first`` compounding ``returns``."""
    values = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy())])
    return pd.Series(values, index=pd.DatetimeIndex([first, *returns.index]), name="equity")
