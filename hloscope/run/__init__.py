"""Measuring a run: the sweep's plan, the worker process and everything that touches jax.

The parent process plans, schedules and persists (``config``, ``sweep``,
``pipeline``, ``progress``); the worker process (``worker``) measures each
point (``measure``, ``lowering``, ``platform``, ``equivalence``,
``environment``). Only the worker imports jax.
"""
