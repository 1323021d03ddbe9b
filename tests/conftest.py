"""Shared fixtures for every test package."""

from __future__ import annotations

import os

# BLAS threads are pinned so timings and numerics do not depend on the machine's cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
