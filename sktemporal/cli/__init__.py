"""The ``sktemporal`` command: ``train``, ``predict``, ``backtest`` and ``report``.

``sktemporal train`` runs the walk-forward evaluation of
:mod:`sktemporal.market.walk_forward` on daily OHLCV prices, prints the per-fold and
mean ± std scores of the model and three baselines, refits the model on all labelled rows
and writes the model file, its preprocessing file, the out-of-sample predictions of the
walk-forward folds and a JSON report. ``sktemporal predict`` reads the model back and writes
class probabilities for every row with a full window. ``sktemporal backtest`` backtests the
confidence-gated out-of-sample predictions against
buy-and-hold, and ``sktemporal report`` writes them up as a self-contained HTML page.

One module per command (:mod:`~sktemporal.cli.train`, :mod:`~sktemporal.cli.predict`,
:mod:`~sktemporal.cli.backtest`, :mod:`~sktemporal.cli.report`) holds its help, its options
and its ``run``, over the options they share (:mod:`~sktemporal.cli.options`); the backend is
chosen in :mod:`~sktemporal.cli.backend`. They parse arguments and print; the work is done in
the :mod:`sktemporal.market` subpackage. Bad input gives one ``sktemporal: error: ...`` line on
stderr and exit status 2, and leaves no partly written file behind.
"""

import contextlib
import logging
import os
import sys
import warnings

from sktemporal._quiet import native_stderr_hidden
from sktemporal.cli import backtest, predict, report, train
from sktemporal.cli.backend import choose_backend, compilations_shared
from sktemporal.cli.options import PROG, Parser, UsageError, common_options, one_line
from sktemporal.cli.train import DEFAULT_ENSEMBLE_HEADS, DEFAULT_EPOCHS, DEFAULT_PATIENCE

__all__ = [
    "DEFAULT_ENSEMBLE_HEADS",
    "DEFAULT_EPOCHS",
    "DEFAULT_PATIENCE",
    "build_parser",
    "choose_backend",
    "main",
]

#: Command name -> its module (``HELP``, ``DESCRIPTION``, ``add_options``, ``run``), in the
#: order of ``sktemporal --help``. The modules import the market application only in ``run``,
#: so ``--help`` and a mistyped option load neither Keras nor TA-Lib.
COMMANDS = {"train": train, "predict": predict, "backtest": backtest, "report": report}

# Warnings raised from files under this folder are sktemporal's own.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_parser():
    """The parser of the ``sktemporal`` command and its subcommands, from :data:`COMMANDS`."""
    parser = Parser(
        prog=PROG,
        description="Train and apply attention-based market-direction classifiers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}"
    )
    common = common_options()
    for name, command in COMMANDS.items():
        subparser = commands.add_parser(
            name, parents=[common], help=command.HELP, description=command.DESCRIPTION
        )
        command.add_options(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def _version():
    from sktemporal import __version__

    return __version__


@contextlib.contextmanager
def _one_line_warnings(stderr, verbose):
    """Show sktemporal's warnings as ``sktemporal: warning: ...`` lines; others with --verbose."""

    def show(message, category, filename, lineno, file=None, line=None):
        if verbose or os.path.abspath(filename).startswith(_PACKAGE):
            print(f"{PROG}: warning: {one_line(message)}", file=stderr)

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
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except UsageError as error:
        print(f"{PROG}: error: {one_line(error)}", file=stderr)
        return 2
    if not args.verbose:
        _quiet_backends()
    hidden = contextlib.nullcontext(stderr) if args.verbose else native_stderr_hidden(stderr)
    with hidden as stderr:
        try:
            args.keras_backend = choose_backend(args.backend)
            with compilations_shared(), _one_line_warnings(stderr, args.verbose):
                return args.run(args, stdout, stderr)
        except (UsageError, ValueError, OSError) as error:
            print(f"{PROG}: error: {one_line(error)}", file=stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=stderr)
            return 130
        except Exception as error:  # a bug, not the user's input: say so, in one line
            print(
                f"{PROG}: internal error: {type(error).__name__}: {one_line(error)} (this is "
                f"a bug in {PROG}, not a problem with your input; please report it with the "
                "command you ran, and what it prints with --verbose)",
                file=stderr,
            )
            return 1
