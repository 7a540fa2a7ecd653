"""Tests for sktemporal.market.report: the self-contained HTML page of a saved run."""

import base64
import re
import shutil
import struct
import subprocess

import pytest

from sktemporal.market.out_of_sample import read_oos_predictions
from sktemporal.market.report import build_report
from sktemporal.market.saved_run import backtest_model
from sktemporal.market.sweep import SWEEP_COLUMNS, threshold_sweep

N_IMAGES, N_TABLES = 7, 5
IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def page(saved, tmp_path_factory):
    model, prices, threshold = saved
    output = tmp_path_factory.mktemp("page") / "report"
    path = build_report(model, output, data=prices, threshold=threshold, n_windows=20)
    return path, path.read_text(encoding="utf-8")


def png_size(data):
    """(width, height) from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_report_is_one_self_contained_page(page):
    path, text = page

    assert path.name == "index.html"
    assert [p.name for p in path.parent.iterdir()] == ["index.html"]
    assert text.startswith("<!DOCTYPE html>")
    images = IMAGE.findall(text)
    assert len(images) == N_IMAGES == text.count("<img ")
    for data in images:
        width, height = png_size(base64.b64decode(data))
        assert width > 200 and height > 150
    assert text.count("<table>") == N_TABLES
    for external in ("http://", "https://", "<script", "<link", "url(", 'src="file'):
        assert external not in text
    for title in (
        "Walk-forward scores",
        "Training history",
        "Attention over the time steps",
        "Attention and attribution of each recent window",
        "Confusion matrix",
        "Out-of-sample equity and drawdown",
        "Coverage and accuracy",
        "The backtest at other confidence thresholds",
    ):
        assert title in text


def test_report_tables_hold_the_backtest_and_the_walk_forward_scores(saved, page):
    import json

    model, prices, threshold = saved
    text = page[1]
    result = backtest_model(model, prices, threshold=threshold)
    summary = result.summary()
    for metric in ("total_return", "sharpe", "max_drawdown"):
        cells = f'<td class="num">{summary.loc[metric, "strategy"]:.4f}</td>'
        assert f"<td>{metric}</td>{cells}" in text
    assert f"acted on {result.n_acted} of {result.n_days} days" in text
    assert result.period() in text
    sweep = threshold_sweep(read_oos_predictions(f"{model}.oos.csv"), prices["close"])
    for threshold, row in sweep.table.iterrows():
        cells = "".join(
            f'<td class="num">{sweep.format_cell(name, row[name])}</td>' for name in SWEEP_COLUMNS
        )
        assert f"<td>{threshold:g}</td>{cells}" in text
    report = json.loads(open(f"{model}.report.json", encoding="utf-8").read())
    accuracy = report["model_metrics"]["accuracy"]
    assert f"{accuracy:.4f} ± {report['model_metrics']['std']['accuracy']:.4f}" in text
    for name in ("majority", "persistence", "logistic_regression"):
        assert f"<td>{name}</td>" in text


def test_report_replaces_index_html_and_leaves_other_files(saved, tmp_path):
    model, prices, threshold = saved
    output = tmp_path / "existing"
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    (output / "index.html").write_text("old")

    build_report(model, output, data=prices, threshold=threshold, n_windows=5)

    assert sorted(p.name for p in output.iterdir()) == ["index.html", "notes.txt"]
    assert (output / "index.html").read_text().count("<img ") == N_IMAGES


def test_a_failed_report_writes_nothing(saved, tmp_path, monkeypatch):
    import sktemporal.market.report

    model, prices, _ = saved

    def fail(*args, **kwargs):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(sktemporal.market.report, "_equity_figure", fail)
    with pytest.raises(RuntimeError, match="plotting failed"):
        build_report(model, tmp_path / "report", data=prices)
    assert list(tmp_path.iterdir()) == []

    with pytest.raises(FileNotFoundError, match="no training report"):
        build_report(model, tmp_path / "report", data=prices, train_report=tmp_path / "no.json")
    assert list(tmp_path.iterdir()) == []


def chromium(*arguments, profile):
    return subprocess.run(
        [
            shutil.which("chromium"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


_COUNT_DECODED_IMAGES = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const decoded = images.filter((image) => image.complete && image.naturalWidth > 0);
  document.body.setAttribute("data-decoded", decoded.length + "/" + images.length);
});
</script>
"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_a_headless_browser(page, tmp_path):
    import matplotlib.image

    path, text = page
    shot = tmp_path / "shot.png"
    chromium(
        f"--screenshot={shot}",
        "--window-size=1200,3000",
        path.resolve().as_uri(),
        profile=tmp_path / "profile",
    )
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (3000, 1200)
    not_white = (pixels[..., :3] < 0.9).any(axis=-1).mean()
    assert not_white > 0.05, f"the page looks blank ({not_white:.1%} of pixels drawn)"

    # Every embedded image decodes: the page, plus a script that counts them once loaded.
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", _COUNT_DECODED_IMAGES + "</body>"))
    dom = chromium("--dump-dom", probe.as_uri(), profile=tmp_path / "profile").stdout.decode()
    assert f'data-decoded="{N_IMAGES}/{N_IMAGES}"' in dom
