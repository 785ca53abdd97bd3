"""The cluster's PostgreSQL 15: a primary and a streaming replica cloned from it with
``pg_basebackup -R``, both on loopback. initdb refuses root, so as root every
PostgreSQL program runs as the postgres user (as .ci/pg.sh does)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

PGBIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(*args: str) -> None:
    subprocess.run([*_as_postgres(), *args], check=True, stdout=subprocess.DEVNULL)


def make_root(run: Path) -> Path:
    """The folder holding both data directories, owned by the postgres user."""
    root = run / "pg"
    root.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


def options(root: Path, port: int, durable: bool) -> str:
    opts = [
        f"-k {root} -h 127.0.0.1 -p {port}",
        "-c max_connections=200 -c wal_level=replica -c max_wal_senders=5",
        "-c hot_standby=on -c hot_standby_feedback=on -c wal_keep_size=256MB",
    ]
    if not durable:
        opts.append("-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
    return " ".join(opts)


def start(root: Path, name: str, port: int, durable: bool) -> None:
    _run(
        str(PGBIN / "pg_ctl"),
        "-D",
        str(root / name),
        "-l",
        str(root / f"{name}.log"),
        "-w",
        "-o",
        options(root, port, durable),
        "start",
    )


def stop(root: Path, name: str) -> None:
    subprocess.run(
        [*_as_postgres(), str(PGBIN / "pg_ctl"), "-D", str(root / name), "-m", "fast"]
        + ["-w", "stop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def start_primary(root: Path, port: int, durable: bool) -> str:
    """initdb (trust on loopback: replication connections included), start, and
    create the ``omnistore`` database; its URL."""
    _run(
        str(PGBIN / "initdb"),
        "-D",
        str(root / "primary"),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    start(root, "primary", port, durable)
    _run(
        str(PGBIN / "createdb"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        "postgres",
        "omnistore",
    )
    return f"postgres://postgres@127.0.0.1:{port}/omnistore"


def start_replica(root: Path, primary_port: int, port: int, durable: bool) -> str:
    """Clone the primary (``-R`` writes standby.signal and primary_conninfo), start
    it as a hot standby and wait until it streams; its URL."""
    _run(
        str(PGBIN / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(primary_port),
        "-U",
        "postgres",
        "-D",
        str(root / "replica"),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
    )
    start(root, "replica", port, durable)
    wait_streaming(primary_port)
    return f"postgres://postgres@127.0.0.1:{port}/omnistore"


def query(port: int, sql: str, dbname: str = "omnistore"):
    import psycopg

    url = f"postgres://postgres@127.0.0.1:{port}/{dbname}"
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        return conn.execute(sql).fetchall()


def replay(port: int, *, pause: bool) -> None:
    """Pause or resume WAL replay. Resuming may cancel the very statement that asked
    for it (its snapshot conflicts with what replay then removes): check the state."""
    import psycopg

    try:
        query(port, f"SELECT pg_wal_replay_{'pause' if pause else 'resume'}()")
    except psycopg.errors.OperationalError:
        if query(port, "SELECT pg_is_wal_replay_paused()")[0][0] != pause:
            raise


def wait_streaming(primary_port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = query(primary_port, "SELECT state FROM pg_stat_replication")
        if ("streaming",) in rows:
            return
        time.sleep(0.2)
    raise RuntimeError("the replica did not start streaming")


def replication(primary_port: int, replica_port: int) -> dict:
    """What an operator watches: the standby's state and how far its replay lags."""
    state = query(
        primary_port,
        "SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint"
        " FROM pg_stat_replication",
    )
    try:
        paused = query(replica_port, "SELECT pg_is_wal_replay_paused()")[0][0]
    except Exception as error:  # the replica may be stopped: say so
        paused = f"unreachable ({type(error).__name__})"
    return {
        "standbys": [{"state": s, "replay_lag_bytes": lag} for s, lag in state],
        "replay_paused": paused,
    }
