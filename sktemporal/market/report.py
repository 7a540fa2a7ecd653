"""HTML report of a model saved by ``sktemporal train``.

:func:`build_report` writes a self-contained page from the run's **out-of-sample**
predictions (:mod:`sktemporal.market.out_of_sample`) and its files
(:mod:`sktemporal.market.saved_run`): the walk-forward scores against the baselines, the
training history, attention maps, the confusion matrix, the equity curve and the
coverage-accuracy curve. It imports matplotlib and Keras (for the attention maps) when
called.
"""

from datetime import UTC, datetime
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from sktemporal.market import html_page
from sktemporal.market.backtest import COST_BPS_CONSTRAINT, METRIC_NAMES
from sktemporal.market.out_of_sample import (
    THRESHOLD_CONSTRAINT,
    backtest_predictions,
    coverage_curve,
    prediction_classes,
)
from sktemporal.market.saved_run import TrainingRunFiles
from sktemporal.market.scores import BASELINES, METRICS
from sktemporal.market.serialization import format_number, iso_date
from sktemporal.market.sweep import SWEEP_COLUMNS, threshold_sweep

__all__ = ["build_report"]


@validate_params(
    {
        "threshold": THRESHOLD_CONSTRAINT,
        "cost_bps": COST_BPS_CONSTRAINT,
        "long_only": ["boolean"],
        "n_windows": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def build_report(
    model_path,
    output_dir,
    *,
    data=None,
    threshold=0.65,
    cost_bps=0.0,
    long_only=False,
    n_windows=60,
    train_report=None,
):
    """Write a self-contained HTML report of a saved model to ``output_dir/index.html``.

    The page holds tables of the walk-forward scores of the model and the baselines (mean ±
    std, then per fold) and of the out-of-sample backtest, and six figures, embedded as PNG
    data URIs (no file or network access is needed to view it):

    1. the loss and accuracy of each epoch of the final fit;
    2. the attention each time step gets, mean and interquartile band, and
    3. the attention of each of the last ``n_windows`` windows of the prices beside the
       integrated-gradients attribution of each time step to the predicted class (the
       attribution the user guide's "Is attention an explanation?" measured to find the
       signal; attention was not), computed with the saved model;
    4. the confusion matrix of the out-of-sample predictions;
    5. the out-of-sample equity of the confidence-gated strategy against buy-and-hold, with
       drawdowns (:func:`backtest_predictions`);
    6. coverage and accuracy of the out-of-sample predictions against the threshold.

    Everything except the attention maps comes from the walk-forward out-of-sample
    predictions; the final model fitted on all rows is used for the attention maps only.
    The page is built in memory and written through a temporary file or folder: it is never
    seen half-written.

    Parameters
    ----------
    model_path : str or os.PathLike
        A ``.keras`` model written by ``sktemporal train``.
    output_dir : str or os.PathLike
        Folder to write ``index.html`` into; created if needed.
    data : pandas.DataFrame, default=None
        Daily OHLCV prices; ``None`` uses the bundled S&P 500 when the model was trained on
        it.
    threshold : float in [0, 1], default=0.65
        Smallest top-class probability the backtest acts on.
    cost_bps : float, default=0.0
        Cost of trading one unit of position, in basis points.
    long_only : bool, default=False
        Stay flat instead of going short.
    n_windows : int, default=60
        Most recent windows whose attention is shown.
    train_report : str or os.PathLike, default=None
        The JSON report of ``sktemporal train``; ``None`` reads ``<model_path>.report.json``.

    Returns
    -------
    pathlib.Path
        The ``index.html`` written.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    FileNotFoundError
        If a file of the training run is missing.
    ValueError
        If the files do not belong together or the prices do not match them.
    """
    from sktemporal.plotting import import_pyplot

    import_pyplot()  # fails early, with installation advice, when matplotlib is missing
    files = TrainingRunFiles(model_path)
    evaluation = files.read_evaluation(data)
    train_report = files.read_report(train_report)
    backtested = backtest_predictions(
        evaluation.predictions,
        evaluation.prices["close"],
        threshold=threshold,
        cost_bps=cost_bps,
        long_only=long_only,
    )

    model = files.load_model()  # imports Keras
    window_dates, windows = model.make_windows(evaluation.prices)
    window_dates, windows = window_dates[-n_windows:], windows[-n_windows:]
    attention = model.classifier.get_attention_weights(windows)
    # Each step's share of the attribution's magnitude, summed over features: a distribution
    # over the window's steps, like the attention it is shown beside.
    attributed = np.abs(model.classifier.get_attributions(windows)).sum(axis=2)
    attributed /= np.maximum(attributed.sum(axis=1, keepdims=True), np.finfo(float).tiny)

    sweep = threshold_sweep(
        evaluation.predictions, evaluation.prices["close"], cost_bps=cost_bps, long_only=long_only
    )
    explained = window_dates, attention, attributed
    page = _page(evaluation, train_report, backtested, sweep, model, explained)
    output_dir = Path(output_dir)
    from sktemporal._atomic import write_directory_atomic

    write_directory_atomic(output_dir, {"index.html": page})
    return output_dir / "index.html"


def _page(evaluation, train_report, backtested, sweep, model, explained):
    """The HTML text of the report; ``explained`` is (window dates, attention, attribution)."""
    window_dates, attention, attributed = explained
    predictions = evaluation.predictions
    pipeline = evaluation.pipeline
    y_true = predictions["y_true"].to_numpy()
    y_pred = predictions["predicted_class"].to_numpy()
    classes = prediction_classes(predictions)
    figures = [
        (
            "Training history of the final model",
            _history_figure(model.classifier.history_),
            "Loss and accuracy of each epoch of the fit on all labelled rows; the validation "
            "curves are on its last rows, held out for early stopping.",
        ),
        (
            "Attention over the time steps of a window",
            _attention_figure(attention),
            f"Mean attention of each time step (0 = the day predicted) over the last "
            f"{len(attention)} windows of the prices, {iso_date(window_dates[0])} to "
            f"{iso_date(window_dates[-1])}, with the band between the 25th and 75th percentiles. "
            "Computed with the final model, fitted on all labelled rows: it shows what the "
            "model looks at, not an out-of-sample result.",
        ),
        (
            "Attention and attribution of each recent window",
            _heatmap_figure((attention, attributed), window_dates),
            "One row per window, the most recent at the bottom. Left: the attention weights. "
            "Right: each step's share of the integrated-gradients attribution to the predicted "
            "class (magnitude summed over features), which measures how the prediction "
            "depends on the step; attention is part of the network and is not such a measure.",
        ),
        (
            "Confusion matrix of the out-of-sample predictions",
            _confusion_figure(y_true, y_pred, classes),
            f"Most probable class against the realised label on the {len(predictions)} test "
            "rows of the walk-forward folds; accuracy "
            f"{format_number(np.mean(y_true == y_pred))}.",
        ),
        (
            "Out-of-sample equity and drawdown",
            _equity_figure(backtested.result),
            f"Strategy: the predicted class where its probability >= {backtested.threshold:g}, "
            "else flat, decided at each close and held to the next"
            f"{' (long-only)' if backtested.long_only else ''}; cost "
            f"{backtested.cost_bps:g} bps per unit traded. Buy-and-hold over the same days.",
        ),
        (
            "The backtest at other confidence thresholds",
            _sweep_figure(sweep, backtested.threshold),
            "Total return of the strategy (buy-and-hold dashed), and the share of days in the "
            "market, for each confidence threshold, on the same out-of-sample days; the "
            "dotted line is the threshold of the backtest above. Picking the best threshold "
            "from this figure overfits it.",
        ),
        (
            "Coverage and accuracy against the confidence threshold",
            _coverage_figure(predictions, classes, backtested.threshold),
            "Share of out-of-sample days whose top-class probability reaches the threshold, "
            "and the accuracy of the top class on them; the dashed line is the threshold of "
            "the backtest.",
        ),
    ]
    n_folds = len(train_report["folds"])
    scheme = train_report["parameters"].get("cv", {}).get("scheme", "walk-forward")
    sections = [
        html_page.section("Run", _key_value_table(_run_rows(evaluation, train_report, model))),
        html_page.section(
            f"{_SCHEME_NAMES[scheme]} scores, mean ± std over {n_folds} folds",
            _scores_table(train_report)
            + f"<p class='note'>{_SCHEME_NOTES[scheme]} majority: the training fold's most "
            "frequent class; persistence: the last realised direction (no probabilities, "
            "hence no log loss); logistic_regression: the features of the day predicted "
            "alone. Best in bold.</p>",
        ),
        *_paths_sections(train_report),
        html_page.section(f"{_SCHEME_NAMES[scheme]} folds", _folds_table(train_report)),
        html_page.section(
            "Out-of-sample backtest",
            "".join(
                f"<p>{html_page.escape(line)}</p>"
                for line in (
                    backtested.period(),
                    backtested.rule(),
                    backtested.activity(),
                    backtested.no_trade_reason(),
                )
                if line
            )
            + _backtest_table(backtested),
        ),
        html_page.section(
            "The backtest at other confidence thresholds",
            _sweep_table(sweep)
            + "<p class='note'>The same out-of-sample days at each threshold: coverage (days "
            "whose top class reached it), trades (positions opened), exposure (days in the "
            "market), hit rate (days in the market that gained). Read on the days it is "
            "judged on, so the best row is an optimistic choice, not a result.</p>"
            + "".join(
                f"<p>{html_page.escape(line)}</p>"
                for line in sweep.overfitting().format_text("confidence threshold").split("\n")
            )
            + "<p class='note'>PBO: Bailey, Borwein, López de Prado and Zhu, J. Computational "
            "Finance 2017; deflated Sharpe ratio: Bailey and López de Prado, J. Portfolio "
            "Management 2014; both computed by the purgedcv library on the daily returns of "
            "every threshold above.</p>",
        ),
        *(html_page.figure(title, image, caption) for title, image, caption in figures),
    ]
    title = f"sktemporal report: {evaluation.model_path.name}"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _TEMPLATE.format(
        title=html_page.escape(title),
        subtitle=html_page.escape(
            f"{pipeline.get('estimator', 'model')}, horizon {pipeline['horizon']}, label "
            f"threshold {pipeline['threshold']}; generated {generated} by sktemporal "
            f"{pipeline.get('sktemporal_version', '')}"
        ),
        body="\n".join(sections),
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1000px; padding: 0 1em; color: #222; line-height: 1.4; }}
h1 {{ font-size: 1.6em; margin-bottom: 0.2em; }}
h2 {{ font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }}
.subtitle, .note, figcaption {{ color: #555; font-size: 0.9em; }}
table {{ border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 0.3em 0.6em; }}
th {{ background: #f4f4f4; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
figure {{ margin: 0; }}
img {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="subtitle">{subtitle}</p>
{body}
</body>
</html>
"""


def _key_value_table(rows):
    return html_page.table(None, rows, numeric_from=2)


def _run_rows(evaluation, train_report, model):
    pipeline, predictions = evaluation.pipeline, evaluation.predictions
    data = train_report.get("data", {})
    trained_on = pipeline.get("trained_on", {})
    versions = train_report.get("versions", {})
    return [
        ("model file", str(evaluation.model_path)),
        ("classifier", pipeline.get("estimator", "")),
        ("trained on", trained_on.get("data_source", "not recorded")),
        ("prices used here", evaluation.source if evaluation.source != "data" else "given"),
        (
            "price rows",
            f"{data.get('n_rows', '?')}, {data.get('first_date', '?')} to "
            f"{data.get('last_date', '?')}",
        ),
        (
            "final model fitted on",
            f"{trained_on.get('n_samples', '?')} samples, "
            f"{trained_on.get('first_sample_date', '?')} to "
            f"{trained_on.get('last_sample_date', '?')}",
        ),
        (
            "out-of-sample predictions",
            f"{len(predictions)} days, {iso_date(predictions.index[0])} to "
            f"{iso_date(predictions.index[-1])}, {predictions['fold'].nunique()} folds",
        ),
        ("sequence length", pipeline["sequence_length"]),
        ("horizon (days)", pipeline["horizon"]),
        ("label threshold (flat band)", pipeline["threshold"]),
        ("classes", ", ".join(str(c) for c in prediction_classes(predictions))),
        (
            "versions",
            ", ".join(f"{name} {value}" for name, value in versions.items() if value),
        ),
    ]


def _scores_table(train_report):
    entries = {"model": train_report["model_metrics"], **train_report["baseline_metrics"]}
    best = {}
    for metric in METRICS:
        values = {name: entry.get(metric) for name, entry in entries.items() if entry.get(metric)}
        if values:
            pick = min if metric == "log_loss" else max
            best[metric] = pick(values, key=values.get)
    rows = []
    for name, entry in entries.items():
        row = [name]
        for metric in METRICS:
            text = html_page.escape(
                format_number(entry.get(metric), entry.get("std", {}).get(metric))
            )
            row.append(("html", f"<b>{text}</b>" if best.get(metric) == name else text))
        rows.append(row)
    return html_page.table(("method", *METRICS), rows)


_SCHEME_NAMES = {
    "walk-forward": "Walk-forward",
    "purged-kfold": "Purged k-fold",
    "cpcv": "CPCV",
}

_SCHEME_NOTES = {
    "walk-forward": "Each fold trains on the past only and is scored on the next block of days.",
    "purged-kfold": "Each fold is scored on one block of days and trains on the others, "
    "without the days whose label overlaps a test label (purged) and the days just after "
    "the block (embargoed).",
    "cpcv": "Combinatorial purged cross-validation: each fit is scored on two or more blocks "
    "of days and trains on the others, purged and embargoed.",
}


def _paths_sections(train_report):
    """CPCV: the scores over the paths and each path's backtest; nothing otherwise."""
    paths = train_report.get("paths")
    if not paths:
        return []
    names = ("model", *BASELINES)
    rows = []
    for name in names:
        row = [name]
        for metric in METRICS:
            spread = paths["summary"][name][metric]
            text = format_number(spread["mean"], spread["std"])
            if spread["worst"] is not None:
                text += f" (worst {format_number(spread['worst'])})"
            row.append(text)
        rows.append(row)
    sections = [
        html_page.section(
            f"Scores over the {len(paths['scores'])} CPCV paths",
            html_page.table(("method", *METRICS), rows)
            + "<p class='note'>Each path is a full out-of-sample history of every day, put "
            "together from the fits that tested its blocks (López de Prado, Advances in "
            "Financial Machine Learning, 2018, section 12.4): the spread over paths is the "
            "spread of the result itself.</p>",
        )
    ]
    backtests = paths.get("backtest")
    if backtests:
        rows = [
            (
                row["path"],
                f"{row['confidence']:g}",
                row["n_trades"],
                format_number(row["total_return"]),
                format_number(row["sharpe"]),
            )
            for row in backtests["paths"]
        ]
        spread = "; ".join(
            f"confidence {confidence}: Sharpe ratio {format_number(s['mean'], s['std'])}, "
            f"worst {format_number(s['worst'])}"
            if s["mean"] is not None
            else f"confidence {confidence}: no path held a position"
            for confidence, s in backtests["sharpe_over_paths"].items()
        )
        sections.append(
            html_page.section(
                "Backtest of each CPCV path",
                html_page.table(("path", "confidence", "trades", "total return", "sharpe"), rows)
                + f"<p>{html_page.escape(spread)}; buy and hold "
                f"{format_number(backtests['buy_and_hold_sharpe'])}.</p>"
                + "<p class='note'>Confidence 0 acts on every day's most probable class.</p>",
            )
        )
    return sections


def _folds_table(train_report):
    names = ("model", *BASELINES)
    rows = []
    for fold in train_report["folds"]:
        train, test = fold.get("train", {}), fold.get("test", {})
        scores = fold.get("scores", {})
        rows.append(
            [
                fold.get("fold"),
                f"{train.get('first_date')} to {train.get('last_date')}",
                f"{test.get('first_date')} to {test.get('last_date')}",
                test.get("n_samples"),
                *(format_number(scores.get(name, {}).get("balanced_accuracy")) for name in names),
            ]
        )
    header = ("fold", "train", "test", "test days", *(f"{n} bal. acc." for n in names))
    return html_page.table(header, rows, numeric_from=3)


def _backtest_table(backtested):
    summary = backtested.summary()
    rows = [
        (
            metric,
            format_number(summary.loc[metric, "strategy"]),
            format_number(summary.loc[metric, "buy_and_hold"]),
        )
        for metric in METRIC_NAMES
    ]
    return html_page.table(("metric", "strategy", "buy and hold"), rows)


def _sweep_table(sweep):
    header = ("confidence", *(name.removeprefix("n_").replace("_", " ") for name in SWEEP_COLUMNS))
    rows = [(f"{threshold:g}", row) for threshold, row in sweep.table.iterrows()]
    return html_page.table(
        header,
        [
            (label, *(sweep.format_cell(name, row[name]) for name in SWEEP_COLUMNS))
            for label, row in [*rows, ("buy and hold", sweep.buy_and_hold)]
        ],
    )


def _sweep_figure(sweep, threshold):
    figure = html_page.new_figure(figsize=(8, 4.6))
    returns, exposure = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    table = sweep.table
    returns.plot(table.index, table["total_return"], marker="o", label="strategy")
    returns.axhline(
        sweep.buy_and_hold["total_return"], color="grey", linestyle="--", label="buy and hold"
    )
    returns.set_ylabel("total return")
    returns.legend(loc="best", fontsize="small")
    exposure.plot(table.index, table["exposure"], marker="o", color="tab:green")
    exposure.set_ylabel("days in market")
    exposure.set_ylim(0, 1)
    exposure.set_xlabel("confidence threshold")
    for ax in (returns, exposure):
        ax.axvline(threshold, color="grey", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
    return html_page.png(figure)


def _history_figure(history):
    from sktemporal.plotting import plot_history

    n_panels = 2 if "accuracy" in history or "val_accuracy" in history else 1
    from matplotlib.ticker import MaxNLocator

    figure = html_page.new_figure(figsize=(5 * n_panels, 3.6))
    plot_history(history, axes=figure.subplots(1, n_panels, squeeze=False).ravel())
    n_epochs = len(history["loss"])
    for ax in figure.axes:  # whole epochs only, even for a single one
        ax.set_xlim(0.5, n_epochs + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    return html_page.png(figure)


def _attention_figure(attention):
    from sktemporal.plotting import plot_attention

    figure = html_page.new_figure(figsize=(8, 3.6))
    plot_attention(attention, ax=figure.subplots())
    return html_page.png(figure)


def _heatmap_figure(panels, dates):
    from sktemporal.plotting import plot_attention_heatmap

    figure = html_page.new_figure(figsize=(13, max(3.0, min(9.0, 0.12 * len(dates) + 1.5))))
    ticks = np.unique(np.linspace(0, len(dates) - 1, min(len(dates), 8)).round().astype(int))
    titles = ("attention", "integrated gradients, share per step")
    scales = ("attention weight", "share of the attribution")
    for ax, weights, title, scale in zip(
        figure.subplots(1, len(panels)), panels, titles, scales, strict=False
    ):
        plot_attention_heatmap(weights, ax=ax).set_title(title)
        ax.set_yticks(ticks, [iso_date(dates[i]) for i in ticks])
        ax.set_ylabel("window ending on" if scale == scales[0] else "")
        figure.axes[-1].set_ylabel(scale)  # the colorbar just drawn
    return html_page.png(figure)


def _confusion_figure(y_true, y_pred, classes):
    from sktemporal.plotting import plot_confusion_matrix

    figure = html_page.new_figure(figsize=(5, 4.2))
    ax = plot_confusion_matrix(y_true, y_pred, labels=classes, ax=figure.subplots())
    ax.set_title("Out-of-sample confusion matrix")
    return html_page.png(figure)


def _equity_figure(result):
    from sktemporal.plotting import plot_equity

    figure = html_page.new_figure(figsize=(9, 5.5))
    plot_equity(result, axes=figure.subplots(2, 1, sharex=True, height_ratios=[3, 1]))
    return html_page.png(figure)


def _coverage_figure(predictions, classes, threshold):
    from sktemporal.plotting import plot_coverage_accuracy

    lowest = 1.0 / len(classes)  # the top probability is never below 1 / n_classes
    thresholds = np.unique(np.append(np.linspace(lowest, 1.0, 101), threshold))
    figure = html_page.new_figure(figsize=(8, 3.8))
    ax = plot_coverage_accuracy(coverage_curve(predictions, thresholds), ax=figure.subplots())
    ax.axvline(threshold, color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(lowest, 1.0)
    return html_page.png(figure)
