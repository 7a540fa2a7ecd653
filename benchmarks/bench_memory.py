"""Peak memory of fit + predict_proba on sliding windows, against the size of the table.

A table of ``--rows`` (1,000,000) rows × ``--features`` (32) float64 columns (256 MB at the
defaults) is windowed by ``SlidingWindowTransformer(sequence_length=60)``: a strided view that
would take 7.7 GB if materialised as float32. A tiny AttentionLSTMClassifier (lstm_units=4,
attention_units=2, dense_units=2, epochs=1, batch_size=1024) is fitted on the view and
predicts on it. Each measurement runs in a fresh Python subprocess:

- ``runtime``: imports NumPy, Keras/TensorFlow and sktemporal and builds (compiles) the
  classifier's network, without data and without fitting: the interpreter + backend floor;
- ``runtime+small fit``: the same pipeline on ``--small-rows`` (4,096) rows: the floor plus what
  the backend allocates to train and predict at all (kernels, thread pools, traced graphs);
- ``full``: the pipeline on the full table, with the peak of each phase taken from the kernel's
  resident-set high-water mark (``VmHWM``, reset between phases through ``/proc/self/clear_refs``).

Peak RSS is the kernel's high-water mark of the resident set, as
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` reports it (the largest of the phase peaks where
phases reset it). The net figure subtracts the
``runtime`` floor; both raw and net are printed. By default the table is released once windowed,
as the windows keep their own padded copy of it (``--keep-table`` keeps it, as a caller who still
holds the DataFrame would); windowing itself briefly holds both. ``--tracemalloc`` adds, per phase,
the peak of the memory traced by Python (NumPy arrays included, TensorFlow's own buffers not).

Run: ``python benchmarks/bench_memory.py`` (minutes on 2 cores; ``--rows 200000`` is quicker).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL before Keras is imported)

MB = 1e6
TINY = dict(
    lstm_units=4,
    attention_units=2,
    dense_units=2,
    epochs=1,
    batch_size=1024,
    validation_fraction=0,
    patience=None,
    random_state=0,
)


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def _reset_peak():
    """Reset the resident-set high-water mark (Linux ≥ 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _ru_maxrss_bytes():
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


class _Phases:
    """Resident set before each phase and its peak during the phase."""

    def __init__(self):
        self.records, self.trace = [], False

    def start_tracing(self):
        """Trace Python allocations from now on (after the imports, which it would slow down)."""
        import tracemalloc

        tracemalloc.start()
        self.trace = True

    def run(self, name, function):
        import tracemalloc

        before = (_status_kb("VmRSS") or 0) * 1024
        resettable = _reset_peak()
        if self.trace:
            tracemalloc.reset_peak()
            traced_before = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - start
        peak = (_status_kb("VmHWM") or 0) * 1024 if resettable else None
        record = {
            "phase": name,
            "rss_before": before,
            "peak": peak,
            "seconds": seconds,
            "rss_after": (_status_kb("VmRSS") or 0) * 1024,
        }
        if self.trace:
            record["traced_peak"] = tracemalloc.get_traced_memory()[1] - traced_before
        self.records.append(record)
        return result


def child(args):
    """One measurement, in this (fresh) process; prints a JSON line."""
    import numpy as np

    phases = _Phases()

    def imports():
        import keras  # noqa: F401

        import sktemporal  # noqa: F401

    phases.run("imports", imports)
    if args.tracemalloc:
        phases.start_tracing()
    from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer

    if args.child == "runtime":

        def build():
            # What fit builds and compiles, without data: the private hook the classifier uses.
            clf = AttentionLSTMClassifier(**TINY)
            clf.classes_ = np.array([0, 1])
            clf.n_timesteps_, clf.n_channels_ = args.sequence_length, args.features
            return clf._keras_build_fn(clf._get_compile_kwargs())

        phases.run("build model", build)
    else:
        rows = args.small_rows if args.child == "small" else args.rows
        rng = np.random.default_rng(0)
        holder = {}
        holder["table"] = phases.run(
            "make table", lambda: rng.standard_normal((rows, args.features))
        )
        holder["y"] = rng.integers(0, 2, size=rows)
        holder["windows"] = phases.run(
            "window (view)",
            lambda: SlidingWindowTransformer(args.sequence_length).fit_transform(holder["table"]),
        )
        if not args.keep_table:
            del holder["table"]
        clf = AttentionLSTMClassifier(**TINY)
        phases.run("fit", lambda: clf.fit(holder["windows"], holder["y"]))
        proba = phases.run("predict_proba", lambda: clf.predict_proba(holder["windows"]))
        assert proba.shape == (rows, 2)
    # The high-water mark is reset between phases, so the whole run's peak is the largest phase
    # peak; ru_maxrss reads the same kernel counter and agrees where no reset was possible.
    peaks = [record["peak"] for record in phases.records if record["peak"] is not None]
    peak = max([_ru_maxrss_bytes(), *peaks])
    print("RESULT " + json.dumps({"peak": peak, "phases": phases.records}))


def run_child(mode, args):
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        mode,
        "--rows",
        str(args.rows),
        "--small-rows",
        str(args.small_rows),
        "--features",
        str(args.features),
        "--sequence-length",
        str(args.sequence_length),
    ]
    command += ["--keep-table"] if args.keep_table else []
    command += ["--tracemalloc"] if args.tracemalloc else []
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"measurement {mode!r} failed (exit status {done.returncode})")
    result = json.loads(lines[-1][len("RESULT ") :])
    result["wall"] = time.perf_counter() - start
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--sequence-length", type=int, default=60)
    parser.add_argument("--small-rows", type=int, default=4096)
    parser.add_argument(
        "--keep-table", action="store_true", help="keep the table alive next to its windows"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also report the peak memory traced by Python per phase",
    )
    parser.add_argument("--child", choices=["runtime", "small", "full"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return

    import keras  # noqa: F401  (for the header only)

    _common.print_header("memory: peak RSS of fit + predict_proba on a window view")
    table = args.rows * args.features * 8
    materialised = args.rows * args.sequence_length * args.features * 4
    print(
        f"   table {args.rows} x {args.features} float64 = {table / MB:.0f} MB; windows of "
        f"{args.sequence_length}: materialised as float32 they would be "
        f"{materialised / MB:,.0f} MB ({materialised / table:.0f}x the table)"
    )
    params = ", ".join(f"{key}={value}" for key, value in TINY.items())
    kept = "kept" if args.keep_table else "released"
    print(f"   classifier: AttentionLSTMClassifier({params}); table {kept} after windowing")

    results = {}
    for mode in ("runtime", "small", "full"):
        results[mode] = run_child(mode, args)
        print(f"   measured {mode:8s} in {results[mode]['wall']:.0f} s", flush=True)

    floor = results["runtime"]["peak"]
    print(f"\n{'subprocess':30s} {'peak RSS':>10s} {'net of runtime':>15s} {'net / table':>12s}")
    small_label = f"runtime+small fit ({args.small_rows})"
    for mode, label in (("runtime", "runtime"), ("small", small_label), ("full", "full")):
        peak = results[mode]["peak"]
        print(
            f"{label:30s} {peak / MB:8.0f} MB {(peak - floor) / MB:12.0f} MB "
            f"{(peak - floor) / table:11.2f}x"
        )
    small_floor = results["small"]["peak"]
    full = results["full"]["peak"]
    print(
        f"full, net of runtime+small fit: {(full - small_floor) / MB:.0f} MB = "
        f"{(full - small_floor) / table:.2f}x the table"
    )

    print(
        f"\nphases of the full run (peak = VmHWM reset at the start of each phase; table units "
        f"= {table / MB:.0f} MB)"
    )
    header = (
        f"{'phase':15s} {'RSS before':>11s} {'peak':>9s} {'peak-before':>12s} "
        f"{'in tables':>10s} {'RSS after':>10s} {'time':>8s}"
    )
    if args.tracemalloc:
        header += f" {'traced peak':>12s}"  # Python-traced, above what was traced before
    print(header)
    for record in results["full"]["phases"]:
        peak = record["peak"]
        row = (
            f"{record['phase']:15s} {record['rss_before'] / MB:8.0f} MB "
            + (
                f"{peak / MB:6.0f} MB {(peak - record['rss_before']) / MB:9.0f} MB "
                f"{(peak - record['rss_before']) / table:9.2f}x"
                if peak
                else f"{'n/a':>33s}"
            )
            + f" {record['rss_after'] / MB:7.0f} MB {_common.seconds(record['seconds']):>8s}"
        )
        if args.tracemalloc:
            traced = record.get("traced_peak")  # the imports run before tracing starts
            row += f" {traced / MB:9.0f} MB" if traced is not None else f" {'n/a':>12s}"
        print(row)

    ratio = (full - floor) / table
    print(
        f"\ntarget: peak RSS net of the runtime floor <= 2x the table: "
        f"{'met' if ratio <= 2 else 'NOT met'} ({ratio:.2f}x; raw peak {full / MB:.0f} MB = "
        f"{full / table:.2f}x the table)"
    )


if __name__ == "__main__":
    main()
