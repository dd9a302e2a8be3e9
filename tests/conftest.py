"""Shared test set-up: CPU only, quiet JAX."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
