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

# The Celery worker yields the CPU to the web workers when both want it (the outbox
# check shows it keeps up): BENCH_WORKER_NICE, 0 to run it as a peer.
WORKER_NICE = int(os.environ.get("BENCH_WORKER_NICE", "10"))
