"""``sktemporal backtest``: backtest the out-of-sample predictions of a trained model.

Reads the training run's files (:class:`sktemporal.market.saved_run.TrainingRunFiles`), then
prints :func:`~sktemporal.market.out_of_sample.backtest_predictions` at ``--confidence``, the
threshold sweep with its overfitting odds (:mod:`sktemporal.market.sweep`) and, for a CPCV
run, each path's backtest.
"""

from sktemporal.cli.options import add_saved_model_options, saved_prices

__all__ = ["DESCRIPTION", "HELP", "add_options", "format_path_backtests", "run"]

HELP = "backtest the out-of-sample predictions of a trained model"
DESCRIPTION = (
    "Backtest the walk-forward out-of-sample predictions saved by `sktemporal train` "
    "(never the final model's fit on all rows): at the close of each test day, take "
    "the predicted class (long 1, short -1, flat 0) where its probability reaches "
    "--confidence, else stay flat, and hold it to the next close. Prints coverage (the "
    "share of days acted on), the accuracy on those days, and the metrics of the "
    "strategy and of buy-and-hold over the same days. For a model trained on many "
    "assets: each asset's backtest and the equal-weight portfolio of them."
)


def add_options(parser):
    """Add the options of ``sktemporal backtest`` to its parser."""
    add_saved_model_options(parser)


def run(args, stdout, stderr):
    """Print the backtest at ``--confidence``, the threshold sweep and its overfitting odds."""
    from sktemporal.market.direction_model import read_pipeline
    from sktemporal.market.out_of_sample import backtest_predictions
    from sktemporal.market.saved_run import TrainingRunFiles
    from sktemporal.market.sweep import path_backtest_report, threshold_sweep

    settings = {"cost_bps": args.cost_bps, "long_only": args.long_only}
    files = TrainingRunFiles(args.model_path)
    if "panel" in read_pipeline(files.model):
        return _run_panel(args, files, settings, stdout)
    evaluation = files.read_evaluation(saved_prices(args))
    close = evaluation.prices["close"]
    result = backtest_predictions(
        evaluation.predictions, close, threshold=args.confidence, **settings
    )
    which = ""
    if len(evaluation.paths) > 1:
        which = f" (CPCV: path 1 of {len(evaluation.paths)}; every path below)"
    print(f"{args.model_path}: out-of-sample predictions only{which}", file=stdout)
    print(result.format_table(), file=stdout)
    sweep = threshold_sweep(evaluation.predictions, close, **settings)
    print(
        "\nthe same backtest at other confidence thresholds (read on the same out-of-sample "
        "days: picking the best row overfits)",
        file=stdout,
    )
    print(sweep.format_table(), file=stdout)
    print(sweep.overfitting().format_text("confidence threshold"), file=stdout)
    if len(evaluation.paths) > 1:
        paths = path_backtest_report(
            evaluation.paths, close, thresholds=(0.0, args.confidence), **settings
        )
        print(format_path_backtests(paths), file=stdout)
    return 0


def _run_panel(args, files, settings, stdout):
    """Each asset's backtest of a panel run, and the equal-weight portfolio of them."""
    from sktemporal.market.panel_run import backtest_panel, read_panel_evaluation

    evaluation = read_panel_evaluation(files, saved_prices(args, panel=True))
    result = backtest_panel(
        evaluation.predictions, evaluation.prices, threshold=args.confidence, **settings
    )
    n_assets = len(result.assets)
    print(
        f"{args.model_path}: out-of-sample predictions only, {n_assets} assets; rule: the "
        f"predicted class where its probability >= {args.confidence:g}, else flat; cost "
        f"{args.cost_bps:g} bps per unit traded{'; long only' if args.long_only else ''}",
        file=stdout,
    )
    print(result.format_table(), file=stdout)
    print(
        "equal-weight portfolio: each day the mean of the assets' strategy returns (net of "
        "costs), rebalanced daily; its buy-and-hold the mean of their buy-and-hold returns; "
        "its coverage, exposure and hit rate are the assets' means.",
        file=stdout,
    )
    return 0


def format_path_backtests(backtests):
    """The per-path backtest of a CPCV run as text: Sharpe ratio and return per path.

    Printed by this command and by ``sktemporal train --cv cpcv``.
    """
    lines = [
        "backtest of each CPCV path (out-of-sample predictions; confidence 0 acts on every "
        "day's most probable class):",
        f"{'path':>6}{'confidence':>12}{'trades':>8}{'total return':>14}{'sharpe':>10}",
    ]
    for row in backtests["paths"]:
        lines.append(
            f"{row['path']:>6}{row['confidence']:>12g}{row['n_trades']:>8}"
            f"{_score_text(row['total_return']):>14}{_score_text(row['sharpe']):>10}"
        )
    for confidence, spread in backtests["sharpe_over_paths"].items():
        if spread["mean"] is None:
            lines.append(f"confidence {confidence}: no path held a position")
            continue
        lines.append(
            f"confidence {confidence}: Sharpe ratio over the paths "
            f"{_score_text(spread['mean'])} ± {_score_text(spread['std'])}, worst "
            f"{_score_text(spread['worst'])}; buy-and-hold "
            f"{_score_text(backtests['buy_and_hold_sharpe'])}"
        )
    return "\n".join(lines)


def _score_text(value):
    return "n/a" if value is None else f"{value:.4f}"
