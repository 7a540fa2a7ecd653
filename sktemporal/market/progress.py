"""Progress of a training run: one live bar over the epochs of all its fits, or plain lines.

``sktemporal train`` fits one network per walk-forward fold and a final one. A
:class:`TrainingProgress` follows them all through a Keras callback given to each fit
(:meth:`TrainingProgress.callback`): on a terminal, one live display (`rich
<https://rich.readthedocs.io>`_, which Keras itself depends on) of the epochs done out of
those planned, the fit and epoch, the last validation loss, the elapsed time and an estimate
of the time left; elsewhere (a pipe, a log file), plain lines at the end of each fit. A fit
that early stopping ends says so, with the epoch whose weights were restored.
"""

import sys
import time

import keras

__all__ = ["TrainingProgress"]


def _clock(seconds):
    """``m:ss`` (or ``h:mm:ss``) of a number of seconds."""
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class TrainingProgress:
    """Progress over the epochs of several fits, on a terminal or as plain lines.

    Use it as a context manager; give :meth:`callback` to each fit, and write other lines
    through :meth:`note` so that they appear above the live display.

    Parameters
    ----------
    n_fits : int
        Fits that will run.
    epochs : int
        Epochs planned for each fit; a fit that plans otherwise (``epochs="auto"``) corrects
        the total when it starts, and one that stops early counts its remaining epochs as done.
    restores_best : bool, default=True
        Whether the fits restore the weights of their best epoch (early stopping with
        ``restore_best_weights``), so the lines can name it.
    stream : file-like, default=None
        Where to write; ``None`` is standard error.
    live : bool, default=None
        A live display (True) or plain lines (False); ``None``: live on a terminal.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with TrainingProgress(2, 3, stream=out) as progress:
    ...     progress.note("starting")
    >>> out.getvalue()
    'starting\\n'
    """

    def __init__(self, n_fits, epochs, *, restores_best=True, stream=None, live=None):
        self.stream = sys.stderr if stream is None else stream
        self.live = bool(self.stream.isatty()) if live is None else live
        self.restores_best = restores_best
        self.epochs = epochs
        self.total = n_fits * epochs
        self.done = 0  # epochs trained or skipped by early stopping
        self.trained = 0  # epochs trained
        self._started = None
        self._display = None
        self._task = None

    def __enter__(self):
        self._started = time.perf_counter()
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn

            self._display = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(file=self.stream),
            )
            self._task = self._display.add_task("", total=self.total, status=self._status())
            self._display.start()
        return self

    def __exit__(self, *exc_info):
        if self._display is not None:
            self._display.stop()
            self._display = None

    def note(self, text):
        """Write a line, above the live display when there is one."""
        if self._display is not None:
            self._display.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def callback(self, name):
        """A Keras callback that reports the epochs of one fit, called ``name``."""
        return _FitProgress(self, name)

    def elapsed(self):
        """Seconds since the run started."""
        return time.perf_counter() - self._started

    def _status(self, extra=""):
        elapsed = self.elapsed() if self._started is not None else 0.0
        eta = "?"
        if self.trained:
            eta = _clock(elapsed / self.trained * max(self.total - self.done, 0))
        return f"{self.done}/{self.total} epochs{extra} · {_clock(elapsed)} · ETA {eta}"

    def _update(self, name, extra=""):
        if self._display is not None:
            self._display.update(
                self._task,
                completed=self.done,
                total=self.total,
                description=name,
                status=self._status(extra),
            )

    def _fit_started(self, planned):
        self.total += planned - self.epochs

    def _epoch_ended(self, name, epoch, planned, loss_name, loss):
        self.done += 1
        self.trained += 1
        self._update(f"{name}, epoch {epoch}/{planned}", f" · {loss_name} {loss:.4f}")

    def _fit_ended(self, name, epochs_run, planned, losses, loss_name):
        self.done += planned - epochs_run
        best = min(range(len(losses)), key=losses.__getitem__) + 1 if losses else None
        parts = [f"{name}: {epochs_run} epochs"]
        if epochs_run < planned:
            parts = [f"{name}: early stopping at epoch {epochs_run} of {planned}"]
        if best is not None:
            parts.append(f"best {loss_name} {losses[best - 1]:.4f} at epoch {best}")
            if self.restores_best and best != epochs_run:
                parts.append(f"restored epoch {best}")
        parts.append(f"elapsed {_clock(self.elapsed())}")
        if self.done < self.total and self.trained:
            parts.append(f"ETA {_clock(self.elapsed() / self.trained * (self.total - self.done))}")
        self.note("; ".join(parts))
        self._update(name)


class _FitProgress(keras.callbacks.Callback):
    """Reports one fit's epochs to its :class:`TrainingProgress`."""

    def __init__(self, progress, name):
        super().__init__()
        self.progress = progress
        self.name = name
        self.losses = []
        self.loss_name = "loss"
        self.planned = None

    def __deepcopy__(self, memo):
        # scikit-learn's clone deep-copies parameters: every copy reports to the same display.
        return self

    def on_train_begin(self, logs=None):
        self.losses = []
        self.planned = self.params.get("epochs", self.progress.epochs)
        self.progress._fit_started(self.planned)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.loss_name = "val_loss" if "val_loss" in logs else "loss"
        loss = float(logs.get(self.loss_name, float("nan")))
        self.losses.append(loss)
        self.progress._epoch_ended(self.name, epoch + 1, self.planned, self.loss_name, loss)

    def on_train_end(self, logs=None):
        self.progress._fit_ended(
            self.name, len(self.losses), self.planned, self.losses, self.loss_name
        )
