"""GPU training speed of AttentionLSTMClassifier against a hand-written PyTorch cuDNN loop.

Both train the seed-sized network on the same random windows (``--windows`` × 30 × 31, three
classes) with batch ``--batch-size`` (32) and Adam at 0.001:

- ours: ``AttentionLSTMClassifier().fit`` (BiLSTM(128) → BiLSTM(64) with residual and layer
  norm → additive attention → Dense(64) → softmax), no validation tail, no early stopping, on
  whatever Keras backend ``KERAS_BACKEND`` selects (tensorflow, jax or torch);
- reference: the same layers in plain PyTorch (two ``nn.LSTM(bidirectional=True)``, which run
  cuDNN's fused kernels, the same residual, attention and head), trained by a minimal loop over
  tensors already on the GPU, shuffled each epoch.

Default mode: ``--epochs`` (3) epochs each, ``--repeats`` (2) times, interleaved; the median
epoch time after the first epoch (which traces or warms up) is compared. With ``--epochs 100``
the total wall time of the whole fit is reported too (target: ours ≤ 10 s on one H100-class
GPU, for the seed network). ``--network default`` fits the classifier with its defaults instead
(stem, input normalisation, auxiliary head, AdamW with its schedule), against the same seed-sized
PyTorch reference.

Without a GPU the script prints why it skips and exits 0; ``--allow-cpu`` runs it on the CPU
anyway (a dry run of the code paths, not a GPU figure). With ``KERAS_BACKEND=jax`` or ``torch``
TensorFlow is never imported (sktemporal keeps scikeras from importing it), and the script says so.

Run: ``KERAS_BACKEND=jax python benchmarks/bench_gpu.py`` (or tensorflow / torch), then
``... --epochs 100``. The seed trained on about 1,250 windows (five years of trading days):
``--windows 1250`` reproduces that size.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Before any backend is imported: JAX must not take 75% of the GPU up front and TensorFlow must
# not map all of it, or the PyTorch reference in the same process has no memory left.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")

import _common  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL before Keras is imported)
import numpy as np  # noqa: E402


def keras_gpu():
    """Name of the GPU the Keras backend trains on, or None. Imports only that backend."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return None
        return tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
    if backend == "jax":
        import jax

        gpus = [device for device in jax.devices() if device.platform == "gpu"]
        return gpus[0].device_kind if gpus else None
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return None


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


# ------------------------------------------------------------------------- ours (Keras)


def fit_ours(args, X, y, epochs):
    """Fit the classifier; return its epoch times and the wall time of the whole fit."""
    from sktemporal import AttentionLSTMClassifier

    callback = _common.step_timer()
    # No validation tail and no early stopping: every fit trains exactly `epochs` epochs.
    fixed = dict(
        epochs=epochs,
        batch_size=args.batch_size,
        validation_fraction=0,
        patience=None,
        callbacks=[callback],
        random_state=args.random_state,
    )
    if args.network == "seed":
        # The seed's body, trained as the PyTorch reference trains it.
        clf = AttentionLSTMClassifier(
            **_common.SEED_NETWORK,
            optimizer="adam",
            learning_rate_schedule="constant",
            gradient_clip=None,
            weight_decay=0.0,
            **fixed,
        )
    else:
        # The package's defaults (stem, input normalisation, auxiliary head, AdamW with its
        # schedule): more work per step than the seed network the reference writes.
        clf = AttentionLSTMClassifier(**fixed)
    start = time.perf_counter()
    clf.fit(X, y)
    return callback.timer.epoch_seconds, time.perf_counter() - start, clf.model_.count_params()


# ------------------------------------------------------------------ reference (PyTorch)


def torch_reference(torch, n_features, n_classes, dropout=0.3):
    """The seed-sized network in plain PyTorch, layer for layer as AttentionLSTMNetwork."""
    nn = torch.nn

    class AttentionLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm_0 = nn.LSTM(n_features, 128, batch_first=True, bidirectional=True)
            self.lstm_1 = nn.LSTM(256, 64, batch_first=True, bidirectional=True)
            self.dropout = nn.Dropout(dropout)
            self.shortcut = nn.Linear(256, 128)
            self.norm = nn.LayerNorm(128, eps=1e-3)  # Keras' default epsilon
            self.score = nn.Linear(128, 64)
            self.score_vector = nn.Linear(64, 1, bias=False)
            self.dense = nn.Linear(128, 64)
            self.probabilities = nn.Linear(64, n_classes)  # logits; softmax is in the loss

        def forward(self, x):
            first = self.dropout(self.lstm_0(x)[0])
            second = self.dropout(self.lstm_1(first)[0])
            x = self.norm(self.shortcut(first) + second)
            scores = self.score_vector(torch.tanh(self.score(x))).squeeze(-1)
            weights = torch.softmax(scores, dim=1)
            context = (x * weights.unsqueeze(-1)).sum(dim=1)
            return self.probabilities(self.dropout(torch.relu(self.dense(context))))

    return AttentionLSTM()


def fit_torch(torch, args, X, y, epochs, device):
    """Minimal training loop on device-resident tensors; epoch times and the total wall time."""
    start = time.perf_counter()
    torch.manual_seed(0)
    model = torch_reference(torch, X.shape[2], int(y.max()) + 1).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_function = torch.nn.CrossEntropyLoss()
    inputs = torch.as_tensor(X, dtype=torch.float32, device=device)
    targets = torch.as_tensor(y, dtype=torch.long, device=device)
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    epoch_seconds = []
    model.train()
    for _ in range(epochs):
        epoch_start = time.perf_counter()
        order = torch.randperm(len(inputs), device=device)
        correct = torch.zeros((), device=device)
        for first in range(0, len(inputs), args.batch_size):
            rows = order[first : first + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            logits = model(inputs[rows])
            loss = loss_function(logits, targets[rows])
            loss.backward()
            optimizer.step()
            correct += (logits.argmax(dim=1) == targets[rows]).sum()  # as Keras' accuracy
        float(correct)  # read the metric once per epoch, as Keras logs it
        synchronize()
        epoch_seconds.append(time.perf_counter() - epoch_start)
    parameters = sum(p.numel() for p in model.parameters())
    return epoch_seconds, time.perf_counter() - start, parameters


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=5000, help="training windows (5000)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (3)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--repeats", type=int, default=None, help="fits of each (2; 1 when --epochs >= 20)"
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=None,
        help="seed ours (on TensorFlow this also turns on op determinism)",
    )
    parser.add_argument(
        "--network",
        choices=("seed", "default"),
        default="seed",
        help="ours as the seed network the reference writes (seed), or the classifier's "
        "defaults (default); the PyTorch reference is the seed network either way",
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="time ours only (the PyTorch reference was timed in another run)",
    )
    parser.add_argument(
        "--allow-cpu",
        action="store_true",
        help="run on the CPU when no GPU is visible (a dry run)",
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.epochs >= 20 else 2)

    gpu = keras_gpu()
    import keras

    backend = keras.backend.backend()
    if gpu is None and not args.allow_cpu:
        print(
            f"SKIPPED: no GPU visible to the Keras {backend} backend. Run this on a GPU "
            "machine, e.g. KERAS_BACKEND=jax python benchmarks/bench_gpu.py (or --allow-cpu "
            "for a CPU dry run)."
        )
        return
    torch = None if args.no_reference else torch_or_none()
    device = None
    if torch is not None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if gpu is not None and device.type != "cuda":
            print("   note: PyTorch sees no GPU; its reference runs on the CPU")
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True

    _common.print_header("GPU: AttentionLSTMClassifier.fit vs a PyTorch cuDNN loop")
    print(
        f"   device: {gpu or 'CPU (dry run, --allow-cpu)'}; Keras backend {backend}; "
        f"PyTorch {torch.__version__ if torch else 'reference not run'}"
    )
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.windows, 30, 31)).astype(np.float32)
    y = rng.integers(0, 3, size=args.windows)
    steps = -(-args.windows // args.batch_size)
    print(
        f"   {args.windows} windows of 30x31, batch {args.batch_size} ({steps} steps/epoch), "
        f"{args.epochs} epochs, {repeats} fit(s) each, interleaved; ours: the {args.network} "
        "network"
    )

    variants = ["ours"] + (["torch"] if torch is not None else [])
    epochs = {name: [] for name in variants}
    walls = {name: [] for name in variants}
    for repeat in range(repeats):
        for name in _common.rotated(variants, repeat):
            keras.backend.clear_session()
            if name == "ours":
                times, wall, parameters = fit_ours(args, X, y, args.epochs)
            else:
                times, wall, parameters = fit_torch(torch, args, X, y, args.epochs, device)
            epochs[name] += times[1:]
            walls[name].append(wall)
            shown = ", ".join(_common.seconds(t) for t in times[:3])
            shown += ", ..." if len(times) > 3 else ""
            print(
                f"   repeat {repeat} {name:5s}: {parameters:,} parameters; epochs {shown}; "
                f"total {_common.seconds(wall)}",
                flush=True,
            )

    print(
        f"\n{'variant':8s} {'epoch (median, after 1st)':>26s} {'per step':>10s} "
        f"{'ratio':>6s} {'fit wall':>10s}"
    )
    base = _common.median(epochs["torch"]) if "torch" in epochs else float("nan")
    for name in variants:
        epoch, wall = _common.median(epochs[name]), _common.median(walls[name])
        print(
            f"{name:8s} {_common.seconds(epoch):>26s} {_common.seconds(epoch / steps):>10s} "
            f"{_common.ratio(epoch, base):6.2f} {_common.seconds(wall):>10s}"
        )
    if backend != "tensorflow":
        print(f"\nTensorFlow imported: {'tensorflow' in sys.modules}")
    if args.epochs >= 100 and args.network == "seed":
        total = _common.median(walls["ours"])
        verdict = "met" if total <= 10 and gpu is not None else "NOT met"
        if gpu is None:
            verdict = "not applicable (CPU dry run)"
        print(
            f"\ntarget: {args.epochs} epochs of ours <= 10 s on one H100-class GPU: {verdict} "
            f"({_common.seconds(total)} on {gpu or 'CPU'})"
        )


if __name__ == "__main__":
    main()
