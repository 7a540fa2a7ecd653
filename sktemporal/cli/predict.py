"""``sktemporal predict``: class probabilities of a trained model for every row with a window.

Reads the model with :meth:`sktemporal.market.direction_model.DirectionModel.load` and writes
:meth:`~sktemporal.market.direction_model.DirectionModel.predict_proba_frame` as CSV.
"""

from sktemporal.cli.options import (
    DEFAULT_MODEL_PATHS,
    UsageError,
    add_data_path,
    load_panel,
    load_prices,
    wants_panel,
)

__all__ = ["DESCRIPTION", "HELP", "add_options", "run"]

HELP = "predict class probabilities with a trained model"
DESCRIPTION = (
    "Rebuild the features, scaling and windows a model was trained with and write, for "
    "every row with a full window, the date, the predicted class and one probability "
    "column per class (proba_-1, proba_0, proba_1) as CSV; for a model trained on many "
    "assets, one row per asset and date, with a symbol column."
)


def add_options(parser):
    """Add the options of ``sktemporal predict`` to its parser."""
    parser.add_argument(
        "--model-path",
        default=DEFAULT_MODEL_PATHS["attention-lstm"],
        help="a model written by `sktemporal train` (default: %(default)s)",
    )
    add_data_path(parser)
    parser.add_argument("--output", help="CSV file to write (default: standard output)")


def run(args, stdout, stderr):
    """Write the predictions to ``--output`` (or stdout); say how many on stderr."""
    from sktemporal._atomic import write_atomic
    from sktemporal.market.features import TechnicalIndicators
    from sktemporal.market.panel_model import PanelDirectionModel, load_model

    model = load_model(args.model_path)
    panel = isinstance(model, PanelDirectionModel)
    if panel != wants_panel(args):
        trained, given = ("many assets", "one series") if panel else ("one series", "many assets")
        raise UsageError(
            f"argument --model-path: the model was trained on {trained}; the data options "
            f"give {given}"
        )
    needed = TechnicalIndicators.warmup_rows + model.sequence_length
    if panel:
        predictions = model.predict_proba_frame(load_panel(args)[0])
        text = predictions.to_csv(lineterminator="\n")
    else:
        prices = load_prices(
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
