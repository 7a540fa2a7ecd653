"""Fit and predict speed of the same network on TensorFlow, on JAX, and as hand-written PyTorch.

Each classifier with its default settings (or the seed's network with ``--seed-network``) is
trained on ``--windows`` (5,000) random windows of ``--timesteps`` × ``--features`` (30 × 31,
the main job's shape) at batch 32, three ways:

- ``tensorflow``: ``AttentionLSTMClassifier`` / ``TransformerClassifier`` under
  ``KERAS_BACKEND=tensorflow``;
- ``jax``: the same classifiers under ``KERAS_BACKEND=jax``;
- ``torch``: a hand-written PyTorch module of the identical architecture with the same number
  of trainable parameters (checked; PyTorch's LSTM carries a second bias vector per direction
  that Keras' has not, so it is frozen at zero) and a plain training loop doing the same work
  per epoch as the classifier's ``fit``: the same share of windows trained on (the time-ordered
  validation tail held out and scored after every epoch), batches of equal size, AdamW with
  weight decay 0.01, each gradient clipped to norm 1 as Keras' ``clipnorm`` does, warm-up and
  cosine decay of the learning rate. Self-attention is run with ``need_weights=False`` in
  training (PyTorch's fused kernel), as a user writing this loop would.

Every (backend, classifier) pair runs in its own subprocess (a process has one Keras backend),
for ``--epochs`` (3) epochs; the first epoch (tracing and compilation) is left out and the
median of the others kept. The pairs are interleaved, their order rotated every round
(``--rounds``, 2), so load drift spreads over all three. Then ``predict_proba`` on one window,
``--calls`` (200) times after a warm-up, against the PyTorch module's forward pass under
``torch.inference_mode``. Ratios are against PyTorch; a ratio at or below 1.0 means sktemporal
is as fast or faster.

PyTorch is the optional ``bench`` extra's large install: without it the ``torch`` column is
skipped and the ratios are against JAX. A backend that is not installed is skipped too.

``--precisions float32 mixed_bfloat16`` adds a column per mixed-precision policy (the
classifiers' ``precision=``) on each Keras backend; PyTorch stays float32.

Run: ``python benchmarks/bench_backends.py`` (about 15 minutes on 2 idle cores; ``--rounds 1``
halves it).
"""

import argparse
import importlib.util
import json
import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import SEED_NETWORK, median, ratio, rotated, seconds  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
MODELS = ("lstm", "transformer")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def make_data(windows, timesteps, features):
    """Random windows and 3 classes that depend on them, the same in every process."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(windows, timesteps, features)).astype("float32")
    score = X[:, -5:, 0].mean(axis=1) + 0.5 * X[:, :, 1].mean(axis=1)
    y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    return X, y


# ---------------------------------------------------------------------------- Keras workers


def keras_worker(args):
    import numpy as np
    from _common import step_timer

    from sktemporal import AttentionLSTMClassifier, TransformerClassifier

    X, y = make_data(args.windows, args.timesteps, args.features)
    params = dict(SEED_NETWORK) if args.seed_network else {}
    kind = AttentionLSTMClassifier if args.model == "lstm" else TransformerClassifier
    timer = step_timer()
    clf = kind(
        epochs=args.epochs,
        batch_size=32,
        random_state=0,
        callbacks=[timer],
        precision=args.precision,
        **params,
    )
    clf.fit(X, y)
    trainable = int(sum(np.prod(w.shape) for w in clf.model_.trainable_weights))
    window = X[:1]
    clf.predict_proba(window)  # warm-up: traces the prediction function
    calls = []
    for _ in range(args.calls):
        start = time.perf_counter()
        clf.predict_proba(window)
        calls.append(time.perf_counter() - start)
    return {
        "epoch_seconds": timer.timer.epoch_seconds,
        "predict_seconds": calls,
        "trainable_parameters": trainable,
    }


# ---------------------------------------------------------------------------- PyTorch worker


def torch_modules():
    """The two networks written in PyTorch, layer for layer as sktemporal builds them."""
    import torch
    from torch import nn

    class Normalization(nn.Module):
        """Keras' ``Normalization``: fixed per-feature mean and variance from the data."""

        def __init__(self, mean, variance):
            super().__init__()
            self.register_buffer("mean", torch.as_tensor(mean))
            self.register_buffer("std", torch.sqrt(torch.as_tensor(variance)).clamp_min(1e-7))

        def forward(self, x):
            return (x - self.mean) / self.std

    class Stem(nn.Module):
        """Conv1D (no bias) -> BatchNorm -> ReLU blocks, 'same' padding, no pooling at 30 steps."""

        def __init__(self, features, filters, kernel_sizes):
            super().__init__()
            blocks, channels = [], features
            for f, k in zip(filters, kernel_sizes, strict=True):
                blocks += [
                    nn.Conv1d(channels, f, k, padding="same", bias=False),
                    # Keras' momentum 0.9 is PyTorch's 0.1; Keras' epsilon is 1e-3.
                    nn.BatchNorm1d(f, eps=1e-3, momentum=0.1),
                    nn.ReLU(),
                ]
                channels = f
            self.blocks = nn.Sequential(*blocks)
            self.out_channels = channels

        def forward(self, x):  # (batch, time, channels)
            return self.blocks(x.transpose(1, 2)).transpose(1, 2)

    def keras_like_lstm(input_size, units):
        lstm = nn.LSTM(input_size, units, batch_first=True, bidirectional=True)
        for name, parameter in lstm.named_parameters():
            if name.startswith("bias_hh"):  # Keras' LSTM has one bias vector, not two
                nn.init.zeros_(parameter)
                parameter.requires_grad_(False)
        return lstm

    class AttentionLSTM(nn.Module):
        def __init__(
            self,
            features,
            n_classes,
            stem,
            units=(128, 64),
            attention_units=64,
            dense_units=64,
            dropout=0.3,
            statistics=None,
        ):
            super().__init__()
            self.normalize = Normalization(*statistics) if statistics is not None else None
            self.stem = Stem(features, *stem) if stem[0] else None
            size = self.stem.out_channels if self.stem is not None else features
            self.lstms, self.shortcuts, self.norms = nn.ModuleList(), nn.ModuleList(), []
            norms = []
            for depth, u in enumerate(units):
                self.lstms.append(keras_like_lstm(size, u))
                if depth > 0:
                    self.shortcuts.append(
                        nn.Linear(size, 2 * u) if size != 2 * u else nn.Identity()
                    )
                    norms.append(nn.LayerNorm(2 * u, eps=1e-3))
                size = 2 * u
            self.norms = nn.ModuleList(norms)
            self.dropout = nn.Dropout(dropout)
            self.score = nn.Linear(size, attention_units)
            self.score_vector = nn.Linear(attention_units, 1, bias=False)
            self.head = nn.Sequential(
                nn.Linear(size, dense_units),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(dense_units, n_classes),
            )

        def forward(self, x):
            if self.normalize is not None:
                x = self.normalize(x)
            if self.stem is not None:
                x = self.stem(x)
            for depth, lstm in enumerate(self.lstms):
                sequence = self.dropout(lstm(x)[0])
                if depth == 0:
                    x = sequence
                else:
                    x = self.norms[depth - 1](self.shortcuts[depth - 1](x) + sequence)
            weights = torch.softmax(self.score_vector(torch.tanh(self.score(x))).squeeze(-1), -1)
            return self.head((x * weights.unsqueeze(-1)).sum(dim=1))

    class EncoderBlock(nn.Module):
        """Pre-norm: x + Dropout(MHA(LN(x))), then x + Dropout(FF(LN(x)))."""

        def __init__(self, d_model, heads, ff_dim, dropout):
            super().__init__()
            self.norm1 = nn.LayerNorm(d_model, eps=1e-3)
            self.attention = nn.MultiheadAttention(d_model, heads, dropout, batch_first=True)
            self.norm2 = nn.LayerNorm(d_model, eps=1e-3)
            self.ff = nn.Sequential(
                nn.Linear(d_model, ff_dim), nn.ReLU(), nn.Linear(ff_dim, d_model)
            )
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            h = self.norm1(x)
            x = x + self.dropout(self.attention(h, h, h, need_weights=False)[0])
            return x + self.dropout(self.ff(self.norm2(x)))

    class Transformer(nn.Module):
        def __init__(
            self,
            features,
            n_classes,
            stem,
            d_model=64,
            heads=4,
            layers=2,
            ff_dim=128,
            dense_units=64,
            dropout=0.1,
            statistics=None,
        ):
            super().__init__()
            self.normalize = Normalization(*statistics) if statistics is not None else None
            self.stem = Stem(features, *stem) if stem[0] else None
            size = self.stem.out_channels if self.stem is not None else features
            self.embedding = nn.Linear(size, d_model)
            self.dropout = nn.Dropout(dropout)
            self.blocks = nn.ModuleList(
                EncoderBlock(d_model, heads, ff_dim, dropout) for _ in range(layers)
            )
            self.final_norm = nn.LayerNorm(d_model, eps=1e-3)
            self.head = nn.Sequential(
                nn.Linear(d_model, dense_units),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(dense_units, n_classes),
            )
            self.d_model = d_model

        def positions(self, timesteps, device):
            position = torch.arange(timesteps, device=device, dtype=torch.float32)[:, None]
            channels = torch.arange(self.d_model, device=device)
            pair = (channels // 2 * 2).float()
            angles = position / torch.pow(10000.0, pair / self.d_model)
            return torch.where(channels % 2 == 0, torch.sin(angles), torch.cos(angles))

        def forward(self, x):
            if self.normalize is not None:
                x = self.normalize(x)
            if self.stem is not None:
                x = self.stem(x)
            x = self.embedding(x)
            x = self.dropout(x + self.positions(x.shape[1], x.device))
            for block in self.blocks:
                x = block(x)
            return self.head(self.final_norm(x).mean(dim=1))

    return AttentionLSTM, Transformer


def torch_worker(args):
    import numpy as np
    import torch

    torch.manual_seed(0)
    AttentionLSTM, Transformer = torch_modules()
    X, y = make_data(args.windows, args.timesteps, args.features)
    # The classifier's plan for these sizes: a 10 % validation tail (>= 200 windows), the
    # rest trained on in batches of equal size.
    n_valid = int(round(0.1 * len(X)))
    X_train, y_train = X[:-n_valid], y[:-n_valid]
    X_valid, y_valid = torch.from_numpy(X[-n_valid:]), torch.from_numpy(y[-n_valid:])
    statistics = None
    stem = ((), ()) if args.seed_network else ((128, 256, 128), (8, 5, 3))
    if not args.seed_network:
        statistics = (X_train.mean(axis=(0, 1)), X_train.var(axis=(0, 1)))
    kind = AttentionLSTM if args.model == "lstm" else Transformer
    model = kind(args.features, 3, stem, statistics=statistics)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-3, weight_decay=0.01, eps=1e-7)
    n_batches = math.ceil(len(X_train) / 32)
    total_steps = n_batches * args.epochs
    warmup = max(1, int(0.05 * total_steps))

    def learning_rate(step):  # warm-up, then cosine decay to 1 % (sktemporal's default)
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    epoch_seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.train()
        order = rng.permutation(len(X_train))
        for batch in np.array_split(order, n_batches):
            xb, yb = torch.from_numpy(X_train[batch]), torch.from_numpy(y_train[batch])
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            grads = [p.grad for p in trainable]
            norms = torch._foreach_norm(grads)  # Keras' clipnorm: each gradient on its own
            torch._foreach_mul_(grads, [torch.clamp(1.0 / (n + 1e-6), max=1.0) for n in norms])
            optimizer.step()
            schedule.step()
        model.eval()
        with torch.inference_mode():
            valid_loss = sum(
                loss_fn(model(xb), yb).item() * len(yb)
                for xb, yb in zip(X_valid.split(32), y_valid.split(32), strict=True)
            )
        assert math.isfinite(valid_loss)
        epoch_seconds.append(time.perf_counter() - start)

    window = X[:1]

    def predict_proba(x):
        with torch.inference_mode():
            return torch.softmax(model(torch.from_numpy(x)), dim=-1).numpy()

    predict_proba(window)
    calls = []
    for _ in range(args.calls):
        start = time.perf_counter()
        predict_proba(window)
        calls.append(time.perf_counter() - start)
    return {
        "epoch_seconds": epoch_seconds,
        "predict_seconds": calls,
        "trainable_parameters": int(sum(p.numel() for p in trainable)),
    }


# ---------------------------------------------------------------------------- parent


def cpu_bfloat16():
    """The CPU's bfloat16 instruction sets (Linux ``/proc/cpuinfo`` flags), comma-separated."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            flags = next((line for line in file if line.startswith("flags")), "").split()
    except OSError:
        return ""
    return ", ".join(sorted({f for f in flags if "bf16" in f}))


def installed(backend):
    return importlib.util.find_spec(backend) is not None


def run_worker(backend, model, args, precision="float32"):
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        backend,
        "--model",
        model,
        "--windows",
        str(args.windows),
        "--timesteps",
        str(args.timesteps),
        "--features",
        str(args.features),
        "--epochs",
        str(args.epochs),
        "--calls",
        str(args.calls),
        "--precision",
        precision,
    ] + (["--seed-network"] if args.seed_network else [])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if backend != "torch":
        env["KERAS_BACKEND"] = backend
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{backend}/{model} failed:\n{done.stderr[-3000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=5000)
    parser.add_argument("--timesteps", type=int, default=30)
    parser.add_argument("--features", type=int, default=31)
    parser.add_argument(
        "--epochs", type=int, default=3, help="epochs per fit; the first is left out"
    )
    parser.add_argument("--rounds", type=int, default=2, help="fits of each pair, interleaved")
    parser.add_argument("--calls", type=int, default=200, help="single-window predictions")
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=MODELS)
    parser.add_argument("--backends", nargs="*", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument(
        "--seed-network", action="store_true", help="the seed's network: no stem, no scaling"
    )
    parser.add_argument(
        "--precisions",
        nargs="*",
        default=["float32"],
        choices=PRECISIONS,
        help="the classifiers' precision= values to time on each Keras backend (PyTorch: float32)",
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--model", choices=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker = torch_worker if args.worker == "torch" else keras_worker
        print("RESULT " + json.dumps(worker(args)), flush=True)
        return

    import platform

    network = "seed network (no stem, no input scaling)" if args.seed_network else "defaults"
    print(
        f"== Fit and predict speed: sktemporal on TensorFlow and JAX vs hand-written PyTorch\n"
        f"   {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.windows} windows of {args.timesteps}x{args.features}, batch 32, {network}; "
        f"{args.epochs} epochs a fit (first left out), {args.rounds} rounds"
    )
    versions = []
    for name in ("keras", "tensorflow", "jax", "torch"):
        if installed(name):
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
    print("   " + ", ".join(versions))
    print(f"   CPU bfloat16 instructions: {cpu_bfloat16() or 'none'}")
    backends = [b for b in args.backends if installed(b)]
    for missing in sorted(set(args.backends) - set(backends)):
        print(f"   {missing}: not installed, column skipped")
    # A column is a backend at one precision; PyTorch's reference loop runs in float32 only.
    columns = [
        (b, p) for b in backends for p in (args.precisions if b != "torch" else ["float32"])
    ]
    labels = {(b, p): b if p == "float32" else f"{b} {p}" for b, p in columns}
    results = {(c, m): [] for c in columns for m in args.models}
    loads = []
    for round_ in range(args.rounds):
        for column in rotated(columns, round_):
            backend, precision = column
            for model in args.models:
                loads.append(os.getloadavg()[0])
                result = run_worker(backend, model, args, precision)
                results[column, model].append(result)
                steady = result["epoch_seconds"][1:]
                print(
                    f"   round {round_ + 1}: {labels[column]:25s} {model:11s} epochs "
                    + " ".join(f"{s:.2f}" for s in result["epoch_seconds"])
                    + f" s (median after the first {seconds(median(steady))}); "
                    f"predict {seconds(median(result['predict_seconds']))}; load {loads[-1]:.1f}",
                    flush=True,
                )
    reference = ("torch" if "torch" in backends else "jax", "float32")
    if reference not in columns:
        reference = None
    print(
        f"\nMedians over rounds (load average {min(loads):.1f}-{max(loads):.1f} while running; "
        f"ratio = time / {labels[reference] if reference else 'n/a'})"
    )
    print(
        "| classifier | backend | trainable parameters | epoch | ratio "
        "| predict_proba, 1 window | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    table = []
    for model in args.models:
        summary = {}
        for column in columns:
            runs = results[column, model]
            summary[column] = (
                median([s for r in runs for s in r["epoch_seconds"][1:]]),
                median([s for r in runs for s in r["predict_seconds"]]),
                runs[0]["trainable_parameters"],
            )
        for column in columns:
            epoch, predict, params = summary[column]
            ref_epoch, ref_predict, _ = summary.get(reference, (math.nan, math.nan, None))
            row = {
                "classifier": model,
                "backend": column[0],
                "precision": column[1],
                "trainable_parameters": params,
                "epoch_seconds": epoch,
                "epoch_ratio": ratio(epoch, ref_epoch),
                "predict_seconds": predict,
                "predict_ratio": ratio(predict, ref_predict),
            }
            table.append(row)
            print(
                f"| {model} | {labels[column]} | {params:,} | {seconds(epoch)} | "
                f"{row['epoch_ratio']:.2f} | {seconds(predict)} | {row['predict_ratio']:.2f} |"
            )
        counts = {summary[c][2] for c in columns}
        if len(counts) > 1:
            print(f"   WARNING: {model}: the parameter counts differ: {counts}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({"rows": table, "loads": loads, "args": vars(args)}, file, indent=2)


if __name__ == "__main__":
    main()
