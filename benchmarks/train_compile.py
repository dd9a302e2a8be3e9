"""Cold compile time of a training step, separate modules against nnx.scan, in plain jax, flax and optax.

An independent check of what ``hloscope analyze --step train`` reports: it
shares no code with hloscope's models or engine. For each layer count L it
builds a transformer block (or your block, ``--block PATH.py:FACTORY``) two
ways, L separate modules (an ``nnx.List``, each block its own arrays) and L
blocks stacked with ``nnx.split_rngs`` + ``nnx.vmap`` applied with
``nnx.scan``, and writes the same training step for both: loss = mean(y²),
``jax.value_and_grad`` over the ``nnx.Param`` state, one ``optax.adamw``
update, parameters and optimizer state donated. Each repeat compiles cold
(``jax.clear_caches()``, a fresh function, persistent cache off) and times
the backend compile with jax.monitoring's
``/jax/core/compile/backend_compile_duration`` (what hloscope's
``compile_s`` is) and the whole trace + lower + compile by wall clock.

    python benchmarks/train_compile.py [--layers 24] [--features 256] [--heads 4] [--seq-len 64]
        [--block PATH.py:FACTORY --input-shape 1,64,256] [--repeats 3] [--results RUN]

Prints the medians (min-max) per construction and L and the unroll/scan
ratio; with ``--results`` (an ``analyze --step train`` run of the same block),
hloscope's ratio at the same L beside it and their quotient.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from flax import nnx  # noqa: E402

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_events: dict[str, float] = {}
jax.monitoring.register_event_duration_secs_listener(
    lambda event, secs, **kw: _events.__setitem__(event, _events.get(event, 0.0) + secs))


class Block(nnx.Module):
    """Pre-LN transformer block: attention and a 4x gelu MLP, each residual."""

    def __init__(self, d: int, heads: int, rngs: nnx.Rngs):
        self.ln1, self.ln2 = nnx.LayerNorm(d, rngs=rngs), nnx.LayerNorm(d, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(num_heads=heads, in_features=d, decode=False, rngs=rngs)
        self.fc1, self.fc2 = nnx.Linear(d, 4 * d, rngs=rngs), nnx.Linear(4 * d, d, rngs=rngs)

    def __call__(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(jax.nn.gelu(self.fc1(self.ln2(x))))


def load_factory(text: str):
    path, name = text.rsplit(":", 1)
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def loss_of(y):
    return jnp.mean(jnp.square(y.astype(jnp.float32)))


def separate_modules(factory, layers: int):
    """(apply(params, x), params): L blocks built one by one, each its own arrays."""
    blocks = nnx.List([factory(nnx.Rngs(i)) for i in range(layers)])
    graphdef, params, rest = nnx.split(blocks, nnx.Param, ...)

    def apply(params, x):
        for block in nnx.merge(graphdef, params, rest):
            x = block(x)
        return x

    return apply, params


def scanned(factory, layers: int):
    """(apply(params, x), params): L blocks stacked on axis 0, applied with nnx.scan."""

    @nnx.split_rngs(splits=layers)
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def create(rngs):
        return factory(rngs)

    graphdef, params, rest = nnx.split(create(nnx.Rngs(0)), nnx.Param, ...)

    def apply(params, x):
        @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)
        def body(x, block):
            return block(x)

        return body(x, nnx.merge(graphdef, params, rest))

    return apply, params


def train_step(apply, optimizer):
    def step(params, opt_state, x):
        loss, grads = jax.value_and_grad(lambda p: loss_of(apply(p, x)))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def cold_compiles(build, x, repeats: int) -> tuple[list[float], list[float]]:
    """Backend compile seconds and trace + lower + compile wall seconds of ``repeats`` cold compiles."""
    apply, params = build()
    optimizer = optax.adamw(1e-3)
    opt_state = optimizer.init(params)
    backend, wall = [], []
    for _ in range(repeats):
        jax.clear_caches()
        _events.clear()
        step = train_step(apply, optimizer)  # a fresh function: jit caches on identity
        start = time.perf_counter()
        jax.jit(step, donate_argnums=(0, 1)).trace(params, opt_state, x).lower().compile()
        wall.append(time.perf_counter() - start)
        if COMPILE_EVENT not in _events:
            raise RuntimeError("a repeat did not run the backend compiler")
        backend.append(_events[COMPILE_EVENT])
    return backend, wall


def fmt(samples: list[float]) -> str:
    return f"{statistics.median(samples):7.2f} s ({min(samples):.2f}-{max(samples):.2f})"


def hloscope_ratio(path: str, layers: int) -> float | None:
    """unroll / scan median compile_s of the training step at ``layers`` in an hloscope run."""
    folder = Path(path)
    record = json.loads((folder / "results.json" if folder.is_dir() else folder).read_text())
    medians = {p["variant"]: p["timing"]["compile_s"]["median"] for p in record["points"]
               if p.get("step") == "train" and p["layers"] == layers and p["status"] == "ok"}
    if "scan" in medians and "unroll" in medians:
        return medians["unroll"] / medians["scan"]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="24", help="comma-separated layer counts")
    parser.add_argument("--features", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--block", help="PATH.py:FACTORY, a factory(rngs) of your block (default: a transformer block)")
    parser.add_argument("--input-shape", help="your block's input shape, e.g. 1,64,256")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--results", help="an hloscope analyze --step train run of the same block, to compare with")
    args = parser.parse_args()
    jax.config.update("jax_enable_compilation_cache", False)
    if args.block:
        factory = load_factory(args.block)
        shape = tuple(int(n) for n in args.input_shape.split(","))
    else:
        factory = lambda rngs: Block(args.features, args.heads, rngs)  # noqa: E731
        shape = (1, args.seq_len, args.features)
    x = jax.random.normal(jax.random.key(0), shape)
    # Pay XLA's one-time start-up before the first measured compile.
    cold_compiles(lambda: scanned(factory, 1), x, 1)
    print(f"training step, block input {shape}, {args.repeats} cold compiles each; median (min-max)")
    print(f"{'L':>4} {'unroll backend':>24} {'scan backend':>24} {'ratio':>6} {'unroll wall':>24} {'scan wall':>24} {'ratio':>6}")
    status = 0
    for L in (int(n) for n in args.layers.split(",")):
        u_backend, u_wall = cold_compiles(lambda: separate_modules(factory, L), x, args.repeats)
        s_backend, s_wall = cold_compiles(lambda: scanned(factory, L), x, args.repeats)
        ratio = statistics.median(u_backend) / statistics.median(s_backend)
        wall_ratio = statistics.median(u_wall) / statistics.median(s_wall)
        print(f"{L:>4} {fmt(u_backend):>24} {fmt(s_backend):>24} {ratio:6.2f} {fmt(u_wall):>24} {fmt(s_wall):>24} "
              f"{wall_ratio:6.2f}")
        if args.results:
            theirs = hloscope_ratio(args.results, L)
            if theirs is None:
                print(f"     hloscope: no ok scan and unroll training points at L={L} in {args.results}")
                status = 1
            else:
                print(f"     hloscope unroll/scan compile_s at L={L}: {theirs:.2f}; hloscope / independent = "
                      f"{theirs / ratio:.2f} (within a factor of 2: {0.5 <= theirs / ratio <= 2})")
    return status


if __name__ == "__main__":
    sys.exit(main())
