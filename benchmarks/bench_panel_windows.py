"""Windowing a panel: the lazy PanelWindows against the copy it replaced, in the same run.

A panel of ``--entities`` (20) entities × ``--rows`` (8,000) days × ``--features`` (18)
float64 columns, indexed by (entity, date) and interleaved by date as a long table is, is
windowed by ``SlidingWindowTransformer(sequence_length=30)``:

- ``lazy``: what ``fit_transform`` returns now, a
  :class:`~sktemporal.panel_windows.PanelWindows` over the padded buffer;
- ``copy``: what it returned before, the same buffer's strided view with the windows'
  rows selected, a copy of ``rows × sequence_length × features`` values. It is measured as
  ``np.asarray`` of the lazy windows, which runs that very selection
  (``view[window_start]``) after building the same buffer.

For each, the wall time of windowing (median of ``--repeats``, the two variants
alternating so that load drift hits both) and its peak memory: the peak traced by
``tracemalloc`` (NumPy's arrays included) above what was traced before, and the growth of the
resident set's high-water mark (``VmHWM``, reset before each measurement through
``/proc/self/clear_refs``). Then the time to serve one epoch of shuffled batches of
``--batch-size`` windows from each (``windows[rows]`` per batch, as the classifiers'
``WindowBatches`` does). The load average is printed before and after.

Run: ``python benchmarks/bench_panel_windows.py`` (about a minute on 2 cores).
"""

import argparse
import gc
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402

MB = 1e6


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _load():
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def _panel(args):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    dates = pd.bdate_range("1990-01-01", periods=args.rows)
    entities = [f"asset{k:02d}" for k in range(args.entities)]
    index = pd.MultiIndex.from_product([dates, entities]).swaplevel()
    values = rng.standard_normal((len(index), args.features))
    return pd.DataFrame(values, index=index.rename(["asset", "date"]))


def _measure(function):
    """``(result, seconds, traced peak, VmHWM growth or None)`` of one call."""
    gc.collect()
    tracemalloc.reset_peak()
    traced_before = tracemalloc.get_traced_memory()[0]
    rss_before = _status_kb("VmRSS") * 1024
    resettable = _reset_peak()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1] - traced_before
    hwm = _status_kb("VmHWM") * 1024 - rss_before if resettable else None
    return result, seconds, traced_peak, hwm


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=20)
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--features", type=int, default=18)
    parser.add_argument("--sequence-length", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args(argv)

    import numpy as np

    from sktemporal import SlidingWindowTransformer

    print(f"panel windows: {args.entities} entities x {args.rows} days x {args.features} float64")
    print(f"   {_load()} (start)")
    panel = _panel(args)
    transformer = SlidingWindowTransformer(args.sequence_length).fit(panel)
    table = panel.to_numpy().nbytes
    print(
        f"   table {len(panel)} rows = {table / MB:.1f} MB; windows of {args.sequence_length}: "
        f"{len(panel) * args.sequence_length * args.features * 8 / MB:.0f} MB if materialised"
    )
    variants = {
        "lazy": lambda: transformer.transform(panel),
        "copy": lambda: np.asarray(transformer.transform(panel)),
    }
    tracemalloc.start()
    runs = {name: [] for name in variants}
    for repeat in range(args.repeats):
        for name in _common.rotated(list(variants), repeat):
            # The windows are dropped at once: each variant is measured alone.
            _, seconds, traced, hwm = _measure(variants[name])
            runs[name].append((seconds, traced, hwm))
    tracemalloc.stop()

    print(f"\n{'windowing':10s} {'time (median)':>14s} {'traced peak':>12s} {'VmHWM growth':>13s}")
    summary = {}
    for name, records in runs.items():
        seconds = _common.median([r[0] for r in records])
        traced = max(r[1] for r in records)
        hwms = [r[2] for r in records if r[2] is not None]
        hwm = max(hwms) if hwms else None
        summary[name] = (seconds, traced, hwm)
        hwm_text = f"{hwm / MB:10.0f} MB" if hwm is not None else f"{'n/a':>13s}"
        print(f"{name:10s} {_common.seconds(seconds):>14s} {traced / MB:9.1f} MB {hwm_text}")
    lazy, copied = summary["lazy"], summary["copy"]
    print(
        f"copy / lazy: time {_common.ratio(copied[0], lazy[0]):.1f}x, traced peak "
        f"{_common.ratio(copied[1], lazy[1]):.1f}x"
    )

    windows = transformer.transform(panel)
    print(
        f"lazy windows hold {windows.held_nbytes / MB:.1f} MB (buffer "
        f"{windows.buffer.nbytes / MB:.1f} MB + row map {windows.window_start.nbytes / MB:.1f} "
        f"MB) for {windows.nbytes / MB:.0f} MB of windows"
    )

    rng = np.random.default_rng(0)
    order = rng.permutation(len(windows))
    dense = np.asarray(windows)
    batches = {"lazy": windows, "copy": dense}
    times = {name: [] for name in batches}
    for repeat in range(args.repeats):
        for name in _common.rotated(list(batches), repeat):
            start = time.perf_counter()
            for first in range(0, len(order), args.batch_size):
                batches[name][order[first : first + args.batch_size]].astype(np.float32)
            times[name].append(time.perf_counter() - start)
    epoch = {name: _common.median(values) for name, values in times.items()}
    print(
        f"\none epoch of shuffled batches of {args.batch_size} (gather + cast to float32): "
        f"lazy {_common.seconds(epoch['lazy'])}, copy {_common.seconds(epoch['copy'])} "
        f"(lazy / copy {_common.ratio(epoch['lazy'], epoch['copy']):.2f}x)"
    )
    print(f"   {_load()} (end)")


if __name__ == "__main__":
    main()
