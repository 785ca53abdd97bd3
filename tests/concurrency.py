"""Helpers for the PostgreSQL concurrency tests: real threads, real connections."""

import threading

import psycopg
from django.db import connection


def run_parallel(jobs):
    """Start every job at the same moment, each on its own thread and connection."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # collected and asserted by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def kill_own_connection() -> None:
    """End this process's database session from another one, as a restart of
    PostgreSQL or a dropped network does: the next query finds it gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    with psycopg.connect(**{k: params[k] for k in keys if params.get(k)}) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [mine])
