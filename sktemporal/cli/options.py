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
    "add_data_path",
    "add_saved_model_options",
    "common_options",
    "integer",
    "load_prices",
    "non_negative",
    "one_line",
    "probability",
    "saved_prices",
]

PROG = "sktemporal"
MODELS = ("attention-lstm", "transformer")
DEFAULT_MODEL_PATHS = {
    "attention-lstm": "models/attention_lstm.keras",
    "transformer": "models/transformer.keras",
}
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
    parser.add_argument(
        "--data-path",
        help="CSV file with the prices the model was trained on (default: the bundled S&P 500 "
        "daily prices, when the model was trained on them)",
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
    _add_date_format(parser)
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
    """``--data-path`` and ``--date-format`` of the commands that read new prices."""
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


# ---------------------------------------------------------------------------- the prices


def load_prices(args, min_rows, job):
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


def saved_prices(args):
    """The prices of ``--data-path``, or ``None`` for the bundled ones the model was trained on."""
    if args.data_path is None:
        return None
    from sktemporal.market.datasets import load_ohlcv_csv

    return load_ohlcv_csv(args.data_path, min_rows=2, date_format=args.date_format)
