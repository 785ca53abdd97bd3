"""The checkout benchmark's scale, load and targets, read from the environment once
(the variables are listed in bench/checkout.py)."""

from __future__ import annotations

import os

SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "10"))
N_VARIANTS = int(os.environ.get("BENCH_VARIANTS", "100000"))
N_SHOPS = int(os.environ.get("BENCH_SHOPS", "300"))
N_CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "100000"))
N_ORDERS = int(os.environ.get("BENCH_ORDERS", "300000"))
N_WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
HOT = 2000  # variants every shop stocks
CONCURRENCY = tuple(
    int(n) for n in os.environ.get("BENCH_CONCURRENCY", "1,8,32").split(",")
)
TARGET_FLOWS_PER_S = 130
TARGET_P99_MS = 100
TARGET_STATEMENTS = 30
TARGET_COMMITS = 3

# The Celery workers and beat run as docs/operations.md runs them on a host shared
# with web workers: ``nice -n 10`` (BENCH_WORKER_NICE, 0 to run them as peers).
WORKER_NICE = int(os.environ.get("BENCH_WORKER_NICE", "10"))

# The friendly and realistic flows are compared over this many groups of four blocks
# (F R R F each).
COMPARE_GROUPS = int(os.environ.get("BENCH_COMPARE_GROUPS", "2"))
# The realistic traffic: the share of buyers with an email no profile has yet (the
# rest are returning customers) and of orders delivered (the rest are collected).
NEW_GUEST_SHARE = float(os.environ.get("BENCH_NEW_GUESTS", "0.3"))
DELIVERY_SHARE = float(os.environ.get("BENCH_DELIVERY", "0.5"))
# The shops one SKU's availability is asked across.
AVAILABILITY_SHOPS = int(os.environ.get("BENCH_AVAILABILITY_SHOPS", "500"))
# What the realistic flow may lose against the friendly one, and the share of the
# floor's requests per second a one-request checkout must reach.
TARGET_REALISTIC_GAP = 0.15
TARGET_BUY_NOW_OF_FLOOR = 0.5
