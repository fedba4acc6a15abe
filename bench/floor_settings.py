"""The bench's production settings with bench/floor.py's URL added (bench_send_floor.py)."""

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor"
