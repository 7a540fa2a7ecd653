"""The HTML report of a training run on many assets: scores per asset and pooled, backtests.

:func:`build_panel_report` is what ``sktemporal report`` writes for a model trained on a
panel; :func:`sktemporal.market.report.build_report` writes the single-series page.
"""

from pathlib import Path

import numpy as np

from sktemporal.market import html_page
from sktemporal.market.panel_run import backtest_panel, read_panel_evaluation
from sktemporal.market.saved_run import TrainingRunFiles
from sktemporal.market.scores import METRICS

__all__ = ["build_panel_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure img { max-width: 100%; }
.subtitle { color: #555; }
"""


def build_panel_report(
    model_path, output_dir, *, data=None, threshold=0.65, cost_bps=0.0, long_only=False,
    train_report=None,
):  # fmt: skip
    """Write ``output_dir/index.html``: a panel run's scores and backtests, self-contained.

    The page holds the pooled scores of the model and every baseline (mean ± std over the
    folds), each asset's balanced accuracy and log loss, a figure of them, each asset's
    confidence-gated backtest and the equal-weight portfolio's
    (:func:`~sktemporal.market.panel_run.backtest_panel`), with the portfolio's equity
    against buy-and-hold. Everything comes from the walk-forward out-of-sample predictions.

    Parameters
    ----------
    model_path : str or os.PathLike
        A ``.keras`` model written by ``sktemporal train`` on many assets.
    output_dir : str or os.PathLike
        Folder to write ``index.html`` into.
    data : pandas.DataFrame, default=None
        The price panel; ``None``: the embedded stocks, when the run was on them.
    threshold, cost_bps, long_only
        The backtest's rule.
    train_report : str or os.PathLike, default=None
        The JSON report; ``None`` reads ``<model_path>.report.json``.

    Returns
    -------
    pathlib.Path
        The ``index.html`` written.
    """
    from sktemporal.plotting import import_pyplot

    import_pyplot()
    files = TrainingRunFiles(model_path)
    evaluation = read_panel_evaluation(files, data)
    report = files.read_report(train_report)
    backtested = backtest_panel(
        evaluation.predictions,
        evaluation.prices,
        threshold=threshold,
        cost_bps=cost_bps,
        long_only=long_only,
    )
    page = _page(report, backtested, threshold, cost_bps)
    from sktemporal._atomic import write_directory_atomic

    output_dir = Path(output_dir)
    write_directory_atomic(output_dir, {"index.html": page})
    return output_dir / "index.html"


def _page(report, backtested, threshold, cost_bps):
    data, parameters = report["data"], report["parameters"]
    methods = ["model", *report["baseline_metrics"]]
    pooled = {"model": report["model_metrics"], **report["baseline_metrics"]}
    subtitle = (
        f"{data['n_assets']} assets ({data['source']}), {data['n_samples']} samples "
        f"{data['first_sample_date']} to {data['last_sample_date']}; "
        f"{parameters['feature_set']} indicators per asset; {parameters['classifier']} "
        f"trained across the assets, {parameters['n_splits']} folds walk-forward by date, "
        f"sequence length {parameters['sequence_length']}, horizon {parameters['horizon']}"
    )
    pooled_rows = [
        [name, *(_cell(pooled[name], metric) for metric in METRICS)] for name in methods
    ]
    asset_rows = []
    for symbol, scores in report["asset_metrics"].items():
        for number, name in enumerate(methods):
            asset_rows.append(
                [
                    symbol if number == 0 else "",
                    name,
                    _cell(scores[name], "balanced_accuracy"),
                    _cell(scores[name], "log_loss"),
                ]
            )
    frame = backtested.to_frame()
    columns = ("coverage", "trades", "exposure", "hit_rate", "total_return", "sharpe",
               "max_drawdown", "buy_and_hold_return", "buy_and_hold_sharpe")  # fmt: skip
    backtest_rows = [[name, *(_number(row[c]) for c in columns)] for name, row in frame.iterrows()]
    body = "\n".join(
        [
            html_page.section(
                "Pooled over the assets: mean ± std over the folds",
                html_page.table(["method", *METRICS], pooled_rows),
            ),
            html_page.figure(
                "Balanced accuracy per asset",
                html_page.png(_asset_figure(report["asset_metrics"], methods)),
                "Mean over the folds of each asset's test samples; the line is chance (1/3).",
            ),
            html_page.section(
                "Per asset: mean ± std over the folds",
                html_page.table(
                    ["asset", "method", "balanced accuracy", "log loss"], asset_rows, 2
                ),
            ),
            html_page.section(
                f"Backtest at confidence {threshold:g}, {cost_bps:g} bps per unit traded",
                html_page.table(["asset", *columns], backtest_rows)
                + "<p>Equal-weight portfolio: each day the mean of the assets' strategy "
                "returns, rebalanced daily; its coverage, exposure and hit rate are the "
                "assets' means.</p>",
            ),
            html_page.figure(
                "Equal-weight portfolio",
                html_page.png(_equity_figure(backtested.portfolio)),
                "Out-of-sample equity of the portfolio of the confidence-gated strategies "
                "against the equal-weight buy-and-hold portfolio.",
            ),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>sktemporal: many assets</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>Direction model trained on many assets</h1>\n"
        f'<p class="subtitle">{html_page.escape(subtitle)}</p>\n{body}\n</body>\n</html>\n'
    )


def _cell(entry, metric):
    mean, std = entry.get(metric), entry.get("std", {}).get(metric)
    if mean is None:
        return "n/a"
    return f"{mean:.4f}" if std is None else f"{mean:.4f} ± {std:.4f}"


def _number(value):
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.4f}" if not float(value).is_integer() or abs(value) < 1 else f"{value:.0f}"


def _asset_figure(asset_metrics, methods):
    from matplotlib.figure import Figure

    symbols = list(asset_metrics)
    shown = [m for m in methods if m in ("model", "model_per_asset", "logistic_regression",
                                         "logistic_regression_per_asset")]  # fmt: skip
    figure = Figure(layout="constrained", figsize=(max(6, 0.5 * len(symbols) + 3), 3.5))
    axes = figure.add_subplot()
    width = 0.8 / len(shown)
    for number, name in enumerate(shown):
        values = [asset_metrics[s][name]["balanced_accuracy"] or np.nan for s in symbols]
        axes.bar(np.arange(len(symbols)) + number * width, values, width, label=name)
    axes.axhline(1 / 3, color="black", linewidth=0.8)
    axes.set_xticks(np.arange(len(symbols)) + width * (len(shown) - 1) / 2, symbols, rotation=45)
    axes.set_ylabel("balanced accuracy")
    axes.set_ylim(0.25, None)
    axes.legend(fontsize="small")
    return figure


def _equity_figure(portfolio):
    from matplotlib.figure import Figure

    figure = Figure(layout="constrained", figsize=(8, 3.5))
    axes = figure.add_subplot()
    axes.plot(portfolio.equity.index, portfolio.equity.to_numpy(), label="strategy")
    axes.plot(
        portfolio.benchmark_equity.index,
        portfolio.benchmark_equity.to_numpy(),
        label="buy and hold",
    )
    axes.set_ylabel("equity")
    axes.legend()
    return figure
