"""Helpers shared by the benchmark scripts: quiet start-up, interleaved timing, reporting.

Benchmarks compare a baseline and sktemporal *in the same run*: the variants are run in
turn, their order rotated from one repeat to the next, and medians are compared. On a shared
machine this cancels most of the load drift that separate runs would mix into the ratio.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__all__ = [
    "SEED_NETWORK",
    "child_result",
    "describe_machine",
    "load_average",
    "median",
    "print_header",
    "ratio",
    "rotated",
    "seconds",
    "step_timer",
]

# The seed's network: no stem, no input normalisation (378,115 parameters at 30 x 31, 3 classes).
SEED_NETWORK = {"stem_filters": (), "normalize_inputs": False}


def child_result(code, env):
    """Run ``code`` in a fresh interpreter under ``env``; return what it printed after ``RESULT``.

    The child prints one line ``RESULT <json>``; everything else it prints is ignored. A child
    that fails, or prints no result, stops the benchmark with the end of its stderr.
    """
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"a benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def load_average():
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def rotated(names, repeat):
    """``names`` rotated by ``repeat``: each variant takes each position in turn."""
    shift = repeat % len(names)
    return list(names[shift:]) + list(names[:shift])


def median(values):
    return statistics.median(values) if values else float("nan")


def ratio(value, reference):
    return value / reference if reference else float("nan")


def seconds(value):
    """Format a duration with a unit that keeps three significant digits."""
    if value != value:  # NaN
        return "n/a"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"


def describe_machine():
    """One line naming the machine, the Python, the Keras backend and its version."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as backend_module
    elif backend == "jax":
        import jax as backend_module
    elif backend == "torch":
        import torch as backend_module
    else:  # pragma: no cover - numpy or an unknown backend
        backend_module = None
    version = getattr(backend_module, "__version__", "?")
    return (
        f"{platform.machine()} CPU, {os.cpu_count()} cores visible, Python "
        f"{platform.python_version()}, Keras {keras.__version__}, backend {backend} {version}"
    )


class _Timer:
    """Epoch and step times recorded by :func:`step_timer`'s callback."""

    def __init__(self):
        self.epoch_seconds = []
        self.epoch_cpu_seconds = []  # CPU time of the whole process, all threads
        self.step_seconds = []  # one list per epoch: time between consecutive step ends
        self._epoch_start = self._last = self._cpu_start = None

    def epoch_begin(self):
        self._cpu_start = time.process_time()
        self._epoch_start = self._last = time.perf_counter()
        self.step_seconds.append([])

    def step_end(self):
        now = time.perf_counter()
        self.step_seconds[-1].append(now - self._last)
        self._last = now

    def epoch_end(self):
        self.epoch_seconds.append(time.perf_counter() - self._epoch_start)
        self.epoch_cpu_seconds.append(time.process_time() - self._cpu_start)

    def steady_epoch_seconds(self):
        """Epoch times after the first (the first one traces and compiles the step)."""
        return self.epoch_seconds[1:]

    def steady_epoch_cpu_seconds(self):
        return self.epoch_cpu_seconds[1:]

    def steady_step_seconds(self):
        """Step intervals after the first epoch; the first epoch's later half if only one ran."""
        if len(self.step_seconds) > 1:
            return [s for epoch in self.step_seconds[1:] for s in epoch]
        first = self.step_seconds[0] if self.step_seconds else []
        return first[len(first) // 2 :]


def step_timer():
    """A Keras callback recording epoch wall and CPU times and the interval between steps.

    The interval between two consecutive ``on_train_batch_end`` calls covers everything the
    training loop waits for, the input pipeline included. The records are in ``.timer``.
    Keras is imported here, not at module import, so a script can choose the backend first.
    """
    import keras

    class StepTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.timer = _Timer()

        def on_epoch_begin(self, epoch, logs=None):
            self.timer.epoch_begin()

        def on_train_batch_end(self, batch, logs=None):
            self.timer.step_end()

        def on_epoch_end(self, epoch, logs=None):
            self.timer.epoch_end()

    return StepTimer()


def print_header(title):
    print(f"== {title}")
    print(f"   {describe_machine()}")
    print(f"   load average {os.getloadavg()[0]:.1f} at start; python {sys.executable}")
    sys.stdout.flush()
