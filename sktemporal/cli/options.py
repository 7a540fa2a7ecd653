"""What the commands share: the argument types, the options several commands take, the prices.

Each command module (:mod:`~sktemporal.cli.train`, :mod:`~sktemporal.cli.predict`,
:mod:`~sktemporal.cli.backtest`, :mod:`~sktemporal.cli.report`) adds its own options beside
its ``run``; the options two or more of them take are written once here, as pip keeps its
shared options in ``cli/cmdoptions.py``.
"""

import argparse
import math
import sys

__all__ = [
    "BACKENDS",
    "DEFAULT_MODEL_PATHS",
    "MODELS",
    "PROG",
    "Parser",
    "RenamedOption",
    "UsageError",
    "DATASETS",
    "add_data_path",
    "add_saved_model_options",
    "common_options",
    "integer",
    "load_panel",
    "load_prices",
    "non_negative",
    "one_line",
    "probability",
    "saved_prices",
    "wants_panel",
]

PROG = "sktemporal"
MODELS = ("attention-lstm", "transformer")
DEFAULT_MODEL_PATHS = {
    "attention-lstm": "models/attention_lstm.keras",
    "transformer": "models/transformer.keras",
}
# Embedded data sets: the S&P 500 index (OHLCV, one series) and 20 of its stocks (closes, a
# panel).
DATASETS = ("sp500", "sp500-stocks")
# Keras backends, fastest first on CPU for these networks (docs/performance.md: an epoch of
# the Attention-LSTM takes 2-3 times as long on TensorFlow as on JAX on 2 cores).
BACKENDS = ("jax", "tensorflow", "torch")


class UsageError(Exception):
    """A command-line mistake, reported as one line with exit status 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes raise :class:`UsageError` instead of exiting."""

    def error(self, message):
        raise UsageError(message)


def one_line(error):
    """An exception's message on one line (its type's name when it has none)."""
    return " ".join(str(error).split()) or type(error).__name__


# ---------------------------------------------------------------------------- argument types


def integer(low):
    """An argument type: an integer of at least ``low``."""

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


def non_negative(text):
    """An argument type: a finite number of at least 0."""
    value = _number(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def probability(text):
    """An argument type: a number in [0, 1]."""
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a probability in [0, 1], got {text!r}")
    return value


class RenamedOption(argparse.Action):
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


# ---------------------------------------------------------------------------- shared options


def common_options():
    """The options of every command, as a parent parser: every command loads Keras."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--verbose",
        action="store_true",
        help="also show the backends' log messages and the dependencies' warnings (default: "
        "only sktemporal's own lines)",
    )
    common.add_argument(
        "--backend",
        choices=BACKENDS,
        help="Keras backend to run on (default: KERAS_BACKEND when set, else a backend other "
        "than tensorflow named in keras.json, else the fastest installed: "
        + ", ".join(BACKENDS)
        + ")",
    )
    return common


def add_saved_model_options(parser):
    """The options of the commands that read a trained model's files: backtest and report."""
    parser.add_argument(
        "--model-path",
        default=DEFAULT_MODEL_PATHS["attention-lstm"],
        help="a model written by `sktemporal train`, with its .pipeline.json and .oos.csv "
        "files next to it (default: %(default)s)",
    )
    _add_data_options(
        parser,
        "the prices the model was trained on (default: the embedded data it was trained on, "
        "when it was)",
    )
    parser.add_argument(
        "--confidence",
        type=probability,
        default=0.65,
        metavar="P",
        help="smallest probability of the predicted class that is acted on; below it the "
        "position is flat (default: %(default)s)",
    )
    parser.add_argument(
        "--threshold",
        dest="confidence",
        type=probability,
        action=RenamedOption,
        new_name="--confidence",
    )
    parser.add_argument(
        "--cost-bps",
        type=non_negative,
        default=0.0,
        help="cost of trading one unit of position, in basis points (default: %(default)s)",
    )
    parser.add_argument(
        "--long-only", action="store_true", help="stay flat instead of going short"
    )


def add_data_path(parser):
    """The data options of the commands that read new prices: train and predict."""
    _add_data_options(
        parser,
        "CSV file with a date column and open, high, low, close, volume columns (default: "
        "the S&P 500 daily prices bundled with sktemporal, 1999-2018)",
    )


def _add_data_options(parser, what):
    """``--data-path`` (repeatable), ``--dataset``, the panel selection and ``--date-format``."""
    data = parser.add_argument_group(
        "data",
        "One series, or many assets (a panel): --data-path given more than once, a folder "
        "of CSV files (one asset each, named by the file), a CSV file with a symbol column, "
        "or --dataset sp500-stocks. On many assets one model is trained across them, "
        "walk-forward by date, and scored per asset and pooled.",
    )
    data.add_argument("--data-path", action="append", metavar="CSV|FOLDER", help=what)
    data.add_argument(
        "--dataset",
        choices=DATASETS,
        help="embedded data instead of --data-path: sp500, the S&P 500 index 1999-2018 "
        "(OHLCV), or sp500-stocks, the adjusted closes of 20 S&P 500 stocks 1990-2022 from "
        "skfolio (closes only: the close-only indicators are used) (default: sp500 when "
        "--data-path is not given)",
    )
    data.add_argument(
        "--symbols",
        nargs="+",
        metavar="SYMBOL",
        help="many assets: keep only these (default: all)",
    )
    data.add_argument(
        "--start", metavar="DATE", help="keep the rows from this date on (default: the first)"
    )
    data.add_argument(
        "--end", metavar="DATE", help="keep the rows up to this date (default: the last)"
    )
    _add_date_format(data)


def _add_date_format(parser):
    parser.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="strftime format of the dates in --data-path, e.g. %%d/%%m/%%Y for day-first "
        "dates (default: inferred from the first date; ISO and US month-first work)",
    )


# ---------------------------------------------------------------------------- the prices


def wants_panel(args):
    """Whether the data options name many assets (a panel) rather than one series."""
    if args.data_path and args.dataset:
        raise UsageError("argument --dataset: not allowed with --data-path; give one of them")
    if args.dataset == "sp500-stocks":
        return True
    paths = args.data_path or []
    if len(paths) > 1 or any(_is_folder(path) for path in paths):
        return True
    if paths and _has_symbol_column(paths[0]):
        return True
    if args.symbols:
        raise UsageError(
            "argument --symbols: selects assets of many; give several --data-path, a folder, "
            "a CSV file with a symbol column or --dataset sp500-stocks"
        )
    return False


def _is_folder(path):
    import os

    return os.path.isdir(path)


def _has_symbol_column(path):
    """Whether a CSV file's header names a symbol column (a long table of many assets)."""
    import pandas as pd

    try:
        header = pd.read_csv(path, nrows=0).columns
    except Exception:  # the loader reports what is wrong with the file, in full
        return False
    return any(str(c).strip().lower() in ("symbol", "ticker", "asset") for c in header)


def _select_dates(prices, args, level=None):
    if args.start is None and args.end is None:
        return prices
    dates = prices.index if level is None else prices.index.get_level_values(level)
    try:
        keep = (dates >= (args.start or dates.min())) & (dates <= (args.end or dates.max()))
    except (TypeError, ValueError) as error:
        raise UsageError(f"argument --start/--end: not a date ({one_line(error)})") from None
    return prices[keep]


def load_prices(args, min_rows, job):
    """The prices of ``--data-path`` (or the bundled S&P 500), with at least ``min_rows`` rows."""
    from sktemporal.market.datasets import load_ohlcv_csv, load_sp500

    if args.dataset == "sp500-stocks":
        raise UsageError("argument --dataset: sp500-stocks is many assets, not one series")
    if args.data_path:
        prices = load_ohlcv_csv(args.data_path[0], min_rows=1, date_format=args.date_format)
        source = f"'{args.data_path[0]}'"
    else:
        prices, source = load_sp500(), "the bundled data"
    prices = _select_dates(prices, args)
    if len(prices) < min_rows:
        if args.data_path and args.start is None and args.end is None:
            raise ValueError(
                f"{source}: the job needs at least {min_rows} rows, got {len(prices)}."
            )
        raise ValueError(f"{job} needs at least {min_rows} rows, {source} has {len(prices)}.")
    return prices


def load_panel(args, min_rows=1):
    """The price panel the data options name: (prices, source as recorded)."""
    from sktemporal.market.datasets import load_price_panel, load_sp500_stocks

    if args.data_path:
        prices = load_price_panel(args.data_path, date_format=args.date_format)
        source = ", ".join(args.data_path)
    else:
        from sktemporal.market.panel_run import BUNDLED_STOCKS_SOURCE

        try:
            prices = load_sp500_stocks(args.symbols)
        except ValueError as error:
            raise UsageError(f"argument --symbols: {one_line(error)}") from None
        source = BUNDLED_STOCKS_SOURCE
    if args.symbols and args.data_path:
        held = list(dict.fromkeys(prices.index.get_level_values(0)))
        unknown = [symbol for symbol in args.symbols if symbol not in held]
        if unknown:
            raise UsageError(
                f"argument --symbols: no asset {', '.join(map(repr, unknown))} in the data; "
                f"it has {', '.join(held)}"
            )
        prices = prices[prices.index.get_level_values(0).isin(args.symbols)]
    prices = _select_dates(prices, args, level=1)
    if prices.empty:
        raise UsageError("argument --start/--end: no row left between them")
    return prices, source


def saved_prices(args, panel=False):
    """The prices the data options name; ``None``: the embedded ones the model was trained on.

    ``panel`` says whether the saved model was trained on many assets; data options that
    name the other kind are refused.
    """
    if not args.data_path and not args.dataset:
        return None
    if wants_panel(args) != panel:
        trained, given = ("many assets", "one series") if panel else ("one series", "many assets")
        raise UsageError(
            f"argument --model-path: the model was trained on {trained}; the data options "
            f"give {given}"
        )
    if panel:
        return load_panel(args)[0]
    if not args.data_path:
        return _select_dates(_load_sp500(), args)
    from sktemporal.market.datasets import load_ohlcv_csv

    prices = load_ohlcv_csv(args.data_path[0], min_rows=2, date_format=args.date_format)
    return _select_dates(prices, args)


def _load_sp500():
    from sktemporal.market.datasets import load_sp500

    return load_sp500()
