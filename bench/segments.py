#!/usr/bin/env python
"""Segments and sends at scale, on PostgreSQL.

    PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python bench/segments.py \
        --customers 1000000 --orders 3000000

Seeds a fresh database (customers and consents with COPY, orders and order lines with
one INSERT ... SELECT over generate_series each), runs ANALYZE, then measures:

1. a complex segment counted through the rule compiler (the ORM) against the same
   question written by hand in SQL — both counts must agree; target < 2 s and the ORM
   within 1.5x of the hand-written query;
2. a send of 10k and of 100k recipients into the in-memory SMS backend, each in a
   fresh process so their peaks are separate: messages per second (target >= 2,000/s)
   and peak RSS (VmHWM), which must not grow with the number of recipients.

Smaller runs: ``--customers 200000 --orders 600000 --sends 10000,50000``. Loopback
only, bounded, stops by itself. Prints PASS/MISS per target.
"""

from __future__ import annotations

import argparse
import os
import sys

from common import ROOT
from segments_count import bench_segment
from segments_seed import seed
from segments_send import bench_sends, send_child

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnistore.settings.test")


def setup(keep: int = 1000) -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    settings.OMNISTORE_PUSH_BACKEND = "campaigns.backends.MemoryBackend"
    settings.OMNISTORE_MEMORY_BACKEND_KEEP = keep


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=600_000)
    parser.add_argument(
        "--sends",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[10_000, 100_000],
        help="recipients per send, comma separated (default 10000,100000)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--send-child", type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


def prepare_database(args) -> None:
    """Migrates and seeds the database, or reuses one seeded before."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/segments.py runs on PostgreSQL (see its docstring)")
    args.sends = [min(s, args.customers) for s in args.sends]
    call_command("migrate", verbosity=0)
    from customers.models import Customer

    if Customer.objects.exists():
        print("database already seeded: reusing it")
    else:
        seed(args)


def print_conditions() -> None:
    """The durability settings and the machine's load the figures were taken under."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"PostgreSQL: fsync={fsync}, synchronous_commit={sync}, "
        f"cpus={os.cpu_count()}, load average {load}"
    )


def main() -> int:
    args = parse_args()
    if args.send_child:
        setup()
        send_child(args.send_child, args.batch_size)
        return 0

    setup()
    prepare_database(args)
    print_conditions()
    ok = bench_segment(args.repeat)
    ok &= bench_sends(__file__, args.sends, args.batch_size)
    print("ALL PASS" if ok else "SOME MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
