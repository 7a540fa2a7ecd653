"""``sktemporal report``: write a trained model's evaluation up as a self-contained HTML page.

The page is built by :func:`sktemporal.market.report.build_report`.
"""

from pathlib import Path

from sktemporal.cli.options import UsageError, add_saved_model_options, integer, saved_prices

__all__ = ["DESCRIPTION", "HELP", "add_options", "run"]

HELP = "write an HTML report of a trained model"
DESCRIPTION = (
    "Write OUTPUT/index.html, a self-contained page (figures embedded, no external "
    "files): the walk-forward scores of the model and the baselines, the training "
    "history, attention over the time steps of the last windows of the prices, and, "
    "from the out-of-sample predictions, the confusion matrix, the equity and "
    "drawdown of the backtest against buy-and-hold and the coverage-accuracy curve. "
    "For a model trained on many assets: the scores per asset and pooled, each asset's "
    "backtest and the equal-weight portfolio's. Needs matplotlib."
)


def add_options(parser):
    """Add the options of ``sktemporal report`` to its parser."""
    add_saved_model_options(parser)
    parser.add_argument(
        "--output", required=True, help="folder to write index.html into (required)"
    )
    parser.add_argument(
        "--train-report",
        help="the JSON report of `sktemporal train` (default: MODEL_PATH.report.json)",
    )
    parser.add_argument(
        "--n-windows",
        type=integer(1),
        default=60,
        help="most recent windows whose attention is shown (default: %(default)s)",
    )


def run(args, stdout, stderr):
    """Write ``--output``/index.html and print its size."""
    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"argument --output: '{output}' is a file; give a folder")
    from sktemporal.market.direction_model import read_pipeline
    from sktemporal.market.report import build_report

    try:
        if "panel" in read_pipeline(args.model_path):
            from sktemporal.market.panel_report import build_panel_report

            page = build_panel_report(
                args.model_path,
                output,
                data=saved_prices(args, panel=True),
                threshold=args.confidence,
                cost_bps=args.cost_bps,
                long_only=args.long_only,
                train_report=args.train_report,
            )
        else:
            page = build_report(
                args.model_path,
                output,
                data=saved_prices(args),
                threshold=args.confidence,
                cost_bps=args.cost_bps,
                long_only=args.long_only,
                n_windows=args.n_windows,
                train_report=args.train_report,
            )
    except ImportError as error:  # matplotlib missing: say how to install it, in one line
        raise UsageError(str(error)) from None
    size = page.stat().st_size
    print(f"wrote {page} ({size / 1024:.0f} KiB, figures embedded)", file=stdout)
    return 0
