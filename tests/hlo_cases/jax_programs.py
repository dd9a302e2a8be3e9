"""Small JAX programs lowered to HLO text, for checking the parser against XLA's.

Run as a script it prints a JSON object ``{"<program>.pre": text, "<program>.opt": text}``:
``pre`` is ``lowered.as_text(dialect="hlo")``, ``opt`` is ``compiled.as_text()``.
It forces 4 host devices so that collectives lower to real all-reduce and
all-gather; run it in its own process, since the flag must be set before jax
is imported.
"""

from __future__ import annotations

import json
import os
import sys

DEVICE_COUNT = 4


def _programs():
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, PartitionSpec

    x44 = jnp.arange(16.0).reshape(4, 4)

    def loops(x, n):
        y = jax.lax.fori_loop(0, 7, lambda i, c: c * 0.5 + jnp.sin(c), x)
        z = jax.lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 2, c[1] + 1.0), (0, y))
        return z[1]

    def nested_scans(x, xs):
        def outer(c, row):
            def inner(c2, v):
                return c2 * v + 1.0, c2
            c2, ys = jax.lax.scan(inner, c, row)
            return c2, ys.sum()
        return jax.lax.scan(outer, x, xs)

    def branches(x, i, flag):
        a = jax.lax.cond(flag, lambda v: v + 1.0, lambda v: v * 2.0, x)
        return jax.lax.switch(i, [jnp.sin, jnp.cos, jnp.tanh], a)

    def sorting(x, keys):
        order = jnp.argsort(keys)
        values, indices = jax.lax.sort((keys, jnp.arange(keys.shape[0])), num_keys=1)
        return jnp.sort(x, axis=0), order, values, indices, jax.lax.top_k(keys, 2)

    def scatter_gather(x, idx):
        g = x[idx]
        return x.at[idx].add(1.0), g, jnp.take_along_axis(x[:3], idx[:, None] % 4, axis=1)

    def conv_and_grad(img, kernel):
        def loss(img, kernel):
            out = jax.lax.conv_general_dilated(img, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
            grouped = jax.lax.conv_general_dilated(
                img, kernel[:, :, :1, :], (2, 2), "VALID", feature_group_count=2,
                dimension_numbers=("NHWC", "HWIO", "NHWC"),
            )
            return (out**2).sum() + grouped.sum()
        return jax.grad(loss, argnums=(0, 1))(img, kernel)

    def fft(x):
        return jnp.fft.fft(x), jnp.fft.rfft(x.real), jnp.fft.ifft2(x.reshape(4, 4))

    def linalg(a):
        spd = a @ a.T + 4.0 * jnp.eye(4)
        q, r = jnp.linalg.qr(a)
        w, v = jnp.linalg.eigh(spd)
        return jnp.linalg.cholesky(spd), q, r, w, v, jnp.linalg.solve(spd, a)

    def randoms(key):
        k1, k2 = jax.random.split(key)
        return jax.random.normal(k1, (3, 4)), jax.random.uniform(k2, (5,)), jax.random.bernoulli(k1, 0.3, (2,))

    def pooling_and_remat(x):
        pooled = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (2, 2), (1, 1), "VALID")
        f = jax.checkpoint(lambda v: jnp.sin(v) * v)
        return jax.grad(lambda v: f(v).sum())(x), pooled, jnp.cumsum(x, axis=0)

    mesh = Mesh(np.array(jax.devices()[:DEVICE_COUNT]), ("d",))

    def collectives(x):
        def per_shard(block):
            total = jax.lax.psum(block, "d")
            gathered = jax.lax.all_gather(block, "d", tiled=True)
            return total + gathered[: block.shape[0]]
        return jax.shard_map(per_shard, mesh=mesh, in_specs=PartitionSpec("d"), out_specs=PartitionSpec("d"))(x)

    def pmapped(x):
        return jax.pmap(lambda v: jax.lax.psum(v, "i") * jax.lax.axis_index("i"), axis_name="i")(x)

    c44 = jnp.ones((4, 4), jnp.complex64)
    return [
        ("loops", loops, (x44, 9)),
        ("nested_scans", nested_scans, (jnp.float32(1.0), jnp.ones((3, 5)))),
        ("branches", branches, (x44, 1, True)),
        ("sorting", sorting, (x44, jnp.arange(8.0)[::-1])),
        ("scatter_gather", scatter_gather, (x44, jnp.array([3, 0, 1]))),
        ("conv_and_grad", conv_and_grad, (jnp.ones((1, 8, 8, 2)), jnp.ones((3, 3, 2, 4)))),
        ("fft", fft, (jnp.ones(16, jnp.complex64),)),
        ("linalg", linalg, (x44 + jnp.eye(4),)),
        ("randoms", randoms, (jax.random.key(0),)),
        ("pooling_and_remat", pooling_and_remat, (x44,)),
        ("collectives", collectives, (jnp.arange(32.0).reshape(8, 4),)),
        ("pmapped", pmapped, (jnp.arange(4.0 * DEVICE_COUNT).reshape(DEVICE_COUNT, 4),)),
        ("complex_math", lambda z: (jnp.exp(z) * z.conj()).sum(), (c44,)),
    ]


def generate() -> dict[str, str]:
    """Lower and compile each program; return its pre- and post-optimization HLO text."""
    import jax

    texts = {}
    for name, fn, args in _programs():
        lowered = jax.jit(fn).lower(*args)
        texts[f"{name}.pre"] = lowered.as_text(dialect="hlo")
        texts[f"{name}.opt"] = lowered.compile().as_text()
    return texts


def main() -> int:
    json.dump(generate(), sys.stdout)
    return 0


if __name__ == "__main__":
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={DEVICE_COUNT}".strip()
    sys.exit(main())
