"""The ``sktemporal`` command: ``train``, ``predict``, ``backtest`` and ``report``.

``sktemporal train`` runs the walk-forward evaluation of
:mod:`sktemporal.market.walk_forward` on daily OHLCV prices, prints the per-fold and
mean ± std scores of the model and three baselines, refits the model on all labelled rows
and writes the model file, its preprocessing file, the out-of-sample predictions of the
walk-forward folds and a JSON report. ``sktemporal predict`` reads the model back and writes
class probabilities for every row with a full window. ``sktemporal backtest`` backtests the
confidence-gated out-of-sample predictions against
buy-and-hold, and ``sktemporal report`` writes them up as a self-contained HTML page.

This module parses arguments and prints; the work is done in the :mod:`sktemporal.market`
subpackage (:mod:`~sktemporal.market.walk_forward`, :mod:`~sktemporal.market.direction_model`,
:mod:`~sktemporal.market.saved_run`, :mod:`~sktemporal.market.report`). Bad input gives one
``sktemporal: error: ...`` line on stderr and exit status 2, and leaves no partly written
file behind.
"""

import argparse
import contextlib
import importlib.util
import json
import logging
import math
import os
import sys
import warnings
from pathlib import Path

from sktemporal._quiet import native_stderr_hidden
from sktemporal.model_selection import CV_SCHEMES

__all__ = ["main"]

PROG = "sktemporal"
MODELS = ("attention-lstm", "transformer")
DEFAULT_MODEL_PATHS = {
    "attention-lstm": "models/attention_lstm.keras",
    "transformer": "models/transformer.keras",
}
# Keras backends, fastest first on CPU for these networks (docs/performance.md: an epoch of
# the Attention-LSTM takes 2-3 times as long on TensorFlow as on JAX on 2 cores).
BACKENDS = ("jax", "tensorflow", "torch")
# About 5,000 windows at ~7 s an epoch for the default network on 2 CPU cores (JAX), for 5
# folds and the final fit: 10 epochs at most, with early stopping after 3 epochs without a
# better validation loss, keeps the default run near 4 minutes (README, "Result of the main
# job").
DEFAULT_EPOCHS = 10
DEFAULT_PATIENCE = 3
# Averaging the stem's auxiliary head into the predictions (the classifiers' default,
# ensemble_heads=True, chosen on UCR/UEA sets) lowered this walk-forward's balanced accuracy in
# each of its 5 folds, the same networks predicting both ways (docs/accuracy.md). The main job
# predicts from the attention network alone, so its attention weights explain the whole
# prediction.
DEFAULT_ENSEMBLE_HEADS = False

# Architecture options: (flag, classifier parameter, the model it applies to or None, help).
_ARCHITECTURE_OPTIONS = (
    ("--lstm-units", "lstm_units", "attention-lstm", "units of each LSTM layer (default: 128 64)"),
    ("--attention-units", "attention_units", "attention-lstm", "attention size (default: 64)"),
    ("--d-model", "d_model", "transformer", "embedding width (default: 64)"),
    (
        "--num-heads",
        "num_heads",
        "transformer",
        "attention heads; must divide --d-model (default: 4)",
    ),
    ("--num-layers", "num_layers", "transformer", "encoder blocks (default: 2)"),
    ("--ff-dim", "ff_dim", "transformer", "feed-forward width (default: 128)"),
    ("--dense-units", "dense_units", None, "units of the dense layer of the head (default: 64)"),
    (
        "--stem-filters",
        "stem_filters",
        None,
        "filters of each convolution block of the stem (default: 128 256 128)",
    ),
    (
        "--stem-kernel-sizes",
        "stem_kernel_sizes",
        None,
        "kernel size of each stem block, one per --stem-filters value (default: 8 5 3)",
    ),
)
# Options that take one or more values, stored as a tuple.
_MULTI_VALUE_OPTIONS = ("lstm_units", "stem_filters", "stem_kernel_sizes")
# The classifiers' default stem, for the one-kernel-size-per-block check.
_DEFAULT_STEM = {"stem_filters": (128, 256, 128), "stem_kernel_sizes": (8, 5, 3)}


class _UsageError(Exception):
    """A command-line mistake, reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(message)


def _integer(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _non_negative(text):
    value = _number(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def _probability(text):
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a probability in [0, 1], got {text!r}")
    return value


class _RenamedOption(argparse.Action):
    """An old option name kept working, with a one-line note of the new one on stderr."""

    def __init__(self, option_strings, dest, new_name, **kwargs):
        self.new_name = new_name
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(
            f"{PROG}: note: {option_string} is now {self.new_name}; the old name will go.",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def _build_parser():
    parser = _Parser(
        prog=PROG,
        description="Train and apply attention-based market-direction classifiers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{train,predict,backtest,report}"
    )
    # Every command loads Keras, so every command takes --backend.
    backend = argparse.ArgumentParser(add_help=False)
    backend.add_argument(
        "--verbose",
        action="store_true",
        help="also show the backends' log messages and the dependencies' warnings (default: "
        "only sktemporal's own lines)",
    )
    backend.add_argument(
        "--backend",
        choices=BACKENDS,
        help="Keras backend to run on (default: KERAS_BACKEND when set, else a backend other "
        "than tensorflow named in keras.json, else the fastest installed: "
        + ", ".join(BACKENDS)
        + ")",
    )

    train = commands.add_parser(
        "train",
        parents=[backend],
        help="evaluate walk-forward against baselines, then fit and save the model",
        description=(
            "Walk-forward evaluation of a direction classifier on daily OHLCV prices: "
            "TimeSeriesSplit(n_splits, gap=horizon) over the labelled rows (or, with --cv, "
            "purged k-fold or combinatorial purged cross-validation), a scaler fitted on "
            "each training period only, windows over the whole scaled table. Prints accuracy, "
            "balanced accuracy, macro F1 and log loss per fold and their mean ± std, for the "
            "model and the majority-class, persistence and logistic-regression baselines. Then "
            "fits the model on all labelled rows and saves MODEL_PATH (.keras), "
            "MODEL_PATH.pipeline.json (preprocessing, for `sktemporal predict`), "
            "MODEL_PATH.oos.csv (the out-of-sample class probabilities of every test row of "
            "every fold, for `sktemporal backtest` and `sktemporal report`) and a JSON report."
        ),
    )
    _add_data_path(train)
    train.add_argument(
        "--model-path",
        help="where to save the model, ending in .keras "
        f"(default: {DEFAULT_MODEL_PATHS['attention-lstm']}, or "
        f"{DEFAULT_MODEL_PATHS['transformer']} with --model transformer)",
    )
    train.add_argument(
        "--report", help="where to write the JSON report (default: MODEL_PATH.report.json)"
    )
    train.add_argument(
        "--model", choices=MODELS, default="attention-lstm", help="(default: %(default)s)"
    )
    train.add_argument(
        "--epochs",
        type=_integer(1),
        default=DEFAULT_EPOCHS,
        help="most epochs per fit (default: %(default)s)",
    )
    train.add_argument(
        "--patience",
        type=_integer(0),
        default=DEFAULT_PATIENCE,
        help="epochs without a better validation loss before training stops and the best "
        "weights are restored; 0 turns early stopping off (default: %(default)s)",
    )
    train.add_argument(
        "--sequence-length",
        type=_integer(2),
        default=30,
        help="rows per window, at least 2: attention over one row is always 1 "
        "(default: %(default)s)",
    )
    train.add_argument(
        "--horizon",
        type=_integer(1),
        default=1,
        help="rows ahead the labels look (default: %(default)s)",
    )
    train.add_argument(
        "--flat-band",
        type=_non_negative,
        default=0.005,
        metavar="RETURN",
        help="returns within ±RETURN over the horizon are labelled flat (0), larger ones up "
        "(1) or down (-1) (default: %(default)s, i.e. ±0.5%%)",
    )
    train.add_argument(
        "--threshold",
        dest="flat_band",
        type=_non_negative,
        action=_RenamedOption,
        new_name="--flat-band",
    )
    train.add_argument(
        "--cv",
        choices=CV_SCHEMES,
        default="walk-forward",
        help="how the labelled rows are split: walk-forward trains on the past only; "
        "purged-kfold and cpcv (combinatorial purged cross-validation) also train after the "
        "test block, purging training rows whose label overlaps a test label and embargoing "
        "horizon + sequence length - 1 rows after it; cpcv scores C(n-1, k-1) full "
        "out-of-sample paths and backtests each (default: %(default)s)",
    )
    train.add_argument(
        "--n-splits",
        type=_integer(2),
        default=5,
        help="folds, or blocks with --cv cpcv (default: %(default)s)",
    )
    train.add_argument(
        "--n-test-groups",
        type=_integer(1),
        default=2,
        help="with --cv cpcv: blocks tested by each fit, fewer than --n-splits; "
        "C(n-splits, n-test-groups) fits (default: %(default)s)",
    )
    train.add_argument("--batch-size", type=_integer(1), default=32, help="(default: %(default)s)")
    train.add_argument(
        "--ensemble-heads",
        action=argparse.BooleanOptionalAction,
        default=DEFAULT_ENSEMBLE_HEADS,
        help="predict from the mean of the attention network's head and the stem's auxiliary "
        "head rather than from the attention network alone (default: alone; on this "
        "walk-forward the mean scored lower in every fold)",
    )
    train.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=None,
        help="back up each fit after every epoch in this folder; rerunning the same command "
        "after an interruption resumes the interrupted fit from its last epoch",
    )
    train.add_argument(
        "--random-state",
        type=_integer(0),
        default=0,
        help="seed of every fit (default: %(default)s)",
    )
    architecture = train.add_argument_group(
        "architecture",
        "Network sizes; left out, the classifier's defaults apply. Small values "
        "(e.g. --lstm-units 4 --attention-units 4 --dense-units 4) make quick test runs.",
    )
    for flag, dest, model, text in _ARCHITECTURE_OPTIONS:
        nargs = "+" if dest in _MULTI_VALUE_OPTIONS else None
        suffix = "" if model is None else f"; --model {model} only"
        architecture.add_argument(
            flag, dest=dest, type=_integer(1), nargs=nargs, metavar="N", help=text + suffix
        )
    train.add_argument(
        "--quiet",
        action="store_true",
        help="no progress output (default: on stderr, a live display of the epochs of every "
        "fit with the time left on a terminal, plain lines at the end of each fit elsewhere)",
    )
    train.set_defaults(run=_train)

    predict = commands.add_parser(
        "predict",
        parents=[backend],
        help="predict class probabilities with a trained model",
        description=(
            "Rebuild the features, scaling and windows a model was trained with and write, for "
            "every row with a full window, the date, the predicted class and one probability "
            "column per class (proba_-1, proba_0, proba_1) as CSV."
        ),
    )
    predict.add_argument(
        "--model-path",
        default=DEFAULT_MODEL_PATHS["attention-lstm"],
        help="a model written by `sktemporal train` (default: %(default)s)",
    )
    _add_data_path(predict)
    predict.add_argument("--output", help="CSV file to write (default: standard output)")
    predict.set_defaults(run=_predict)

    backtest = commands.add_parser(
        "backtest",
        parents=[backend],
        help="backtest the out-of-sample predictions of a trained model",
        description=(
            "Backtest the walk-forward out-of-sample predictions saved by `sktemporal train` "
            "(never the final model's fit on all rows): at the close of each test day, take "
            "the predicted class (long 1, short -1, flat 0) where its probability reaches "
            "--confidence, else stay flat, and hold it to the next close. Prints coverage (the "
            "share of days acted on), the accuracy on those days, and the metrics of the "
            "strategy and of buy-and-hold over the same days."
        ),
    )
    _add_saved_model_options(backtest)
    backtest.set_defaults(run=_backtest)

    report = commands.add_parser(
        "report",
        parents=[backend],
        help="write an HTML report of a trained model",
        description=(
            "Write OUTPUT/index.html, a self-contained page (figures embedded, no external "
            "files): the walk-forward scores of the model and the baselines, the training "
            "history, attention over the time steps of the last windows of the prices, and, "
            "from the out-of-sample predictions, the confusion matrix, the equity and "
            "drawdown of the backtest against buy-and-hold and the coverage-accuracy curve. "
            "Needs matplotlib."
        ),
    )
    _add_saved_model_options(report)
    report.add_argument(
        "--output", required=True, help="folder to write index.html into (required)"
    )
    report.add_argument(
        "--train-report",
        help="the JSON report of `sktemporal train` (default: MODEL_PATH.report.json)",
    )
    report.add_argument(
        "--n-windows",
        type=_integer(1),
        default=60,
        help="most recent windows whose attention is shown (default: %(default)s)",
    )
    report.set_defaults(run=_report)
    return parser


def _add_saved_model_options(parser):
    parser.add_argument(
        "--model-path",
        default=DEFAULT_MODEL_PATHS["attention-lstm"],
        help="a model written by `sktemporal train`, with its .pipeline.json and .oos.csv "
        "files next to it (default: %(default)s)",
    )
    parser.add_argument(
        "--data-path",
        help="CSV file with the prices the model was trained on (default: the bundled S&P 500 "
        "daily prices, when the model was trained on them)",
    )
    parser.add_argument(
        "--confidence",
        type=_probability,
        default=0.65,
        metavar="P",
        help="smallest probability of the predicted class that is acted on; below it the "
        "position is flat (default: %(default)s)",
    )
    parser.add_argument(
        "--threshold",
        dest="confidence",
        type=_probability,
        action=_RenamedOption,
        new_name="--confidence",
    )
    _add_date_format(parser)
    parser.add_argument(
        "--cost-bps",
        type=_non_negative,
        default=0.0,
        help="cost of trading one unit of position, in basis points (default: %(default)s)",
    )
    parser.add_argument(
        "--long-only", action="store_true", help="stay flat instead of going short"
    )


def _add_data_path(parser):
    parser.add_argument(
        "--data-path",
        help="CSV file with a date column and open, high, low, close, volume columns "
        "(default: the S&P 500 daily prices bundled with sktemporal, 1999-2018)",
    )
    _add_date_format(parser)


def _add_date_format(parser):
    parser.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="strftime format of the dates in --data-path, e.g. %%d/%%m/%%Y for day-first "
        "dates (default: inferred from the first date; ISO and US month-first work)",
    )


def _version():
    from sktemporal import __version__

    return __version__


# ---------------------------------------------------------------------------- commands


def _load_prices(args, min_rows, job):
    """The prices of ``--data-path`` (or the bundled S&P 500), with at least ``min_rows`` rows."""
    from sktemporal.market.datasets import load_ohlcv_csv, load_sp500

    if args.data_path is not None:
        return load_ohlcv_csv(args.data_path, min_rows=min_rows, date_format=args.date_format)
    prices = load_sp500()
    if len(prices) < min_rows:
        raise ValueError(
            f"{job} needs at least {min_rows} rows, the bundled data has {len(prices)}."
        )
    return prices


def _classifier_params(args):
    """The classifier's parameters from the options; checked without importing Keras."""
    params = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "ensemble_heads": args.ensemble_heads,
        "patience": args.patience or None,
        "random_state": args.random_state,
        "checkpoint_dir": None if args.checkpoint_dir is None else str(args.checkpoint_dir),
        "verbose": 0,
    }
    for flag, dest, model, _ in _ARCHITECTURE_OPTIONS:
        value = getattr(args, dest)
        if value is None:
            continue
        if model is not None and model != args.model:
            raise _UsageError(f"argument {flag}: applies to --model {model} only")
        params[dest] = tuple(value) if isinstance(value, list) else value
    filters, kernel_sizes = ({**_DEFAULT_STEM, **params}[name] for name in _DEFAULT_STEM)
    if len(filters) != len(kernel_sizes):
        raise _UsageError(
            f"argument --stem-kernel-sizes: the stem needs one kernel size per block, got "
            f"{len(filters)} --stem-filters and {len(kernel_sizes)} kernel sizes"
        )
    if args.model == "transformer":
        d_model, num_heads = params.get("d_model", 64), params.get("num_heads", 4)
        if d_model % num_heads:
            raise _UsageError(
                f"argument --num-heads: {num_heads} heads do not divide --d-model {d_model}"
            )
    return params


def _make_classifier(model, params):
    from sktemporal import AttentionLSTMClassifier, TransformerClassifier

    if model == "transformer":
        return TransformerClassifier(**params)
    return AttentionLSTMClassifier(**params)


def _train(args, stdout, stderr):
    from sktemporal.market.preparation import minimum_rows
    from sktemporal.market.progress import TrainingProgress
    from sktemporal.market.saved_run import BUNDLED_SOURCE, TrainingRunFiles
    from sktemporal.market.training_run import run_training

    try:
        files = TrainingRunFiles(args.model_path or DEFAULT_MODEL_PATHS[args.model], args.report)
    except ValueError as error:
        raise _UsageError(f"argument --model-path/--report: {_one_line(error)}") from None
    if args.cv == "cpcv" and args.n_test_groups >= args.n_splits:
        raise _UsageError(
            f"argument --n-test-groups: must be smaller than --n-splits ({args.n_splits}) "
            "with --cv cpcv"
        )
    params = _classifier_params(args)
    settings = {
        "sequence_length": args.sequence_length,
        "horizon": args.horizon,
        "threshold": args.flat_band,
    }
    needed = minimum_rows(args.sequence_length, args.horizon, args.n_splits)
    prices = _load_prices(
        args,
        needed,
        f"a {args.n_splits}-fold {args.cv} evaluation with --sequence-length "
        f"{args.sequence_length} and --horizon {args.horizon}",
    )
    n_fits = args.n_splits
    folds = f"{args.n_splits} folds"
    if args.cv == "cpcv":
        n_fits = math.comb(args.n_splits, args.n_test_groups)
        n_paths = math.comb(args.n_splits - 1, args.n_test_groups - 1)
        folds = (
            f"CPCV over {args.n_splits} blocks, {args.n_test_groups} tested per fit: {n_fits} "
            f"fits, {n_paths} paths"
        )
    elif args.cv == "purged-kfold":
        folds = f"purged {args.n_splits}-fold"
    source = args.data_path or BUNDLED_SOURCE
    backend, reason = args.keras_backend
    print(
        f"{source}: {len(prices)} rows, {prices.index[0]:%Y-%m-%d} to "
        f"{prices.index[-1]:%Y-%m-%d}; {args.model}, {folds}, sequence length "
        f"{args.sequence_length}, horizon {args.horizon}, flat band ±{args.flat_band:g}; "
        f"Keras on {backend} ({reason})",
        file=stdout,
    )
    stdout.flush()

    progress = None
    if not args.quiet:
        progress = TrainingProgress(
            n_fits + 1, args.epochs, restores_best=bool(args.patience), stream=stderr
        )
    result, lookahead, report = run_training(
        prices,
        _make_classifier(args.model, params),
        files,
        **settings,
        n_splits=args.n_splits,
        cv=args.cv,
        n_test_groups=args.n_test_groups,
        source=source,
        progress=progress,
        command_line={
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()
            if key not in ("run", "keras_backend")
        },
    )
    print(result.format_table(), file=stdout)
    if "paths" in report:
        print(_format_path_backtests(report["paths"]["backtest"]), file=stdout)
    print(
        f"look-ahead check of the final model: {'LEAK' if lookahead.leaks else 'no leak'} "
        f"({len(lookahead.details)} perturbed predictions compared)",
        file=stdout,
    )
    print(
        f"saved the model to {files.model} (+ {files.pipeline.name}, "
        f"{files.predictions.name}: {_prediction_count(result)}) and the "
        f"report to {files.report} in {report['elapsed_seconds']:.0f} s",
        file=stdout,
    )
    return 0


def _format_path_backtests(backtests):
    """The per-path backtest of a CPCV run as text: Sharpe ratio and return per path."""
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


def _prediction_count(result):
    out_of_sample = result.out_of_sample()
    if out_of_sample["n_paths"] > 1:
        return (
            f"{out_of_sample['n_samples']} out-of-sample days on each of "
            f"{out_of_sample['n_paths']} paths"
        )
    return f"{out_of_sample['n_samples']} out-of-sample predictions"


def _score_text(value):
    return "n/a" if value is None else f"{value:.4f}"


def _predict(args, stdout, stderr):
    from sktemporal._atomic import write_atomic
    from sktemporal.market.direction_model import DirectionModel
    from sktemporal.market.features import TechnicalIndicators

    model = DirectionModel.load(args.model_path)
    needed = TechnicalIndicators.warmup_rows + model.sequence_length
    prices = _load_prices(
        args, needed, f"a prediction with sequence length {model.sequence_length}"
    )
    predictions = model.predict_proba_frame(prices)
    text = predictions.to_csv(index_label="date", lineterminator="\n")
    if args.output is None:
        stdout.write(text)
    else:
        write_atomic(args.output, text)
        print(f"wrote {len(predictions)} predictions to {args.output}", file=stderr)
    return 0


def _saved_prices(args):
    """The prices of ``--data-path``, or ``None`` for the bundled ones the model was trained on."""
    if args.data_path is None:
        return None
    from sktemporal.market.datasets import load_ohlcv_csv

    return load_ohlcv_csv(args.data_path, min_rows=2, date_format=args.date_format)


def _backtest(args, stdout, stderr):
    from sktemporal.market.out_of_sample import backtest_predictions
    from sktemporal.market.saved_run import TrainingRunFiles
    from sktemporal.market.sweep import path_backtest_report, threshold_sweep

    evaluation = TrainingRunFiles(args.model_path).read_evaluation(_saved_prices(args))
    settings = {"cost_bps": args.cost_bps, "long_only": args.long_only}
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
        print(_format_path_backtests(paths), file=stdout)
    return 0


def _report(args, stdout, stderr):
    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise _UsageError(f"argument --output: '{output}' is a file; give a folder")
    from sktemporal.market.report import build_report

    try:
        page = build_report(
            args.model_path,
            output,
            data=_saved_prices(args),
            threshold=args.confidence,
            cost_bps=args.cost_bps,
            long_only=args.long_only,
            n_windows=args.n_windows,
            train_report=args.train_report,
        )
    except ImportError as error:  # matplotlib missing: say how to install it, in one line
        raise _UsageError(str(error)) from None
    size = page.stat().st_size
    print(f"wrote {page} ({size / 1024:.0f} KiB, figures embedded)", file=stdout)
    return 0


# ---------------------------------------------------------------------------- entry point


def _keras_json_backend():
    """The backend named in Keras' configuration file, or None."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as file:
            return json.load(file).get("backend")
    except (OSError, ValueError, AttributeError):
        return None


def choose_backend(requested=None):
    """Pick the Keras backend for this process before Keras loads.

    The library itself follows Keras' configuration and never switches a backend; the command
    line is an application, so where the user has not chosen it picks the fastest backend
    installed. A ``keras.json`` naming ``tensorflow`` is not read as a choice: Keras writes
    that file with ``tensorflow`` on its first import.

    Parameters
    ----------
    requested : {"jax", "tensorflow", "torch"} or None, default=None
        The ``--backend`` option.

    Returns
    -------
    backend : str
        The backend Keras will load.
    reason : str
        Why, in a few words, for the command's first line.

    Raises
    ------
    ValueError
        If the requested backend is not installed, or Keras is already loaded in this
        process with another backend.
    """
    if "keras" in sys.modules:
        import keras

        loaded = keras.backend.backend()
        if requested not in (None, loaded):
            raise ValueError(
                f"argument --backend: Keras is already loaded with the {loaded} backend in "
                f"this process; it cannot switch to {requested}"
            )
        return loaded, "Keras was already loaded"
    installed = [name for name in BACKENDS if importlib.util.find_spec(name) is not None]
    if requested is not None:
        if requested not in installed:
            raise ValueError(
                f"argument --backend: {requested} is not installed (installed: "
                f"{', '.join(installed) or 'none'})"
            )
        backend, reason = requested, "--backend"
    elif os.environ.get("KERAS_BACKEND"):
        backend, reason = os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    elif (configured := _keras_json_backend()) and configured != "tensorflow":
        backend, reason = configured, "keras.json"
    elif installed:
        backend, reason = installed[0], "the fastest installed; --backend to choose"
    else:
        raise ValueError("no Keras backend is installed: pip install jax (or tensorflow)")
    os.environ["KERAS_BACKEND"] = backend
    return backend, reason


def _one_line(error):
    return " ".join(str(error).split()) or type(error).__name__


@contextlib.contextmanager
def _one_line_warnings(stderr, verbose):
    """Show sktemporal's warnings as ``sktemporal: warning: ...`` lines; others with --verbose."""
    package = os.path.dirname(os.path.abspath(__file__))

    def show(message, category, filename, lineno, file=None, line=None):
        if verbose or os.path.abspath(filename).startswith(package):
            print(f"{PROG}: warning: {_one_line(message)}", file=stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _quiet_backends():
    """Keep the backends' Python-side log messages below errors."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    for name in ("tensorflow", "absl", "jax._src.xla_bridge", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main(argv=None):
    """Run the ``sktemporal`` command.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 2 on bad input (a one-line ``sktemporal: error: ...`` on
        stderr, and no file written), 1 on an internal error (a one-line
        ``sktemporal: internal error: ...`` with the advice to report it), 130 when
        interrupted.

    Examples
    --------
    >>> from sktemporal.cli import main
    >>> main(["train", "--epochs", "0"])
    2
    """
    stdout, stderr = sys.stdout, sys.stderr
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except _UsageError as error:
        print(f"{PROG}: error: {_one_line(error)}", file=stderr)
        return 2
    if not args.verbose:
        _quiet_backends()
    hidden = contextlib.nullcontext(stderr) if args.verbose else native_stderr_hidden(stderr)
    with hidden as stderr:
        try:
            args.keras_backend = choose_backend(args.backend)
            with _one_line_warnings(stderr, args.verbose):
                return args.run(args, stdout, stderr)
        except (_UsageError, ValueError, OSError) as error:
            print(f"{PROG}: error: {_one_line(error)}", file=stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=stderr)
            return 130
        except Exception as error:  # a bug, not the user's input: say so, in one line
            print(
                f"{PROG}: internal error: {type(error).__name__}: {_one_line(error)} (this is "
                f"a bug in {PROG}, not a problem with your input; please report it with the "
                "command you ran, and what it prints with --verbose)",
                file=stderr,
            )
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
