"""The throwaway services a benchmark runs against: Redis, one Celery worker and
gunicorn, all on loopback, stopped (and their scratch folders removed) at the end."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile

from common import ROOT, free_port, wait_for_port

_children: list[subprocess.Popen] = []
_cleanup: list = []


def start_broker() -> str:
    if not shutil.which("redis-server"):
        print("redis-server not found: outbox drains run in the request (eager Celery)")
        return ""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    redis = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    _children.append(redis)
    _cleanup.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    wait_for_port(port, 50)
    return f"redis://127.0.0.1:{port}/0"


def start_worker(env, nice: int) -> None:
    """One Celery worker, ``nice``-d so it yields the CPU to the web workers when both
    want it (0 runs it as a peer)."""
    worker = subprocess.Popen(
        [
            *(["nice", "-n", str(nice)] if nice else []),
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "omnistore",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=ERROR",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _children.append(worker)


def start_gunicorn(env, workers: int, worker_class: str, threads: int) -> int:
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "omnistore.wsgi",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
            "--backlog",
            "256",
            "--worker-tmp-dir",
            "/dev/shm",
        ],
        cwd=ROOT,
        env=env,
    )
    _children.append(server)
    if wait_for_port(port, 100):
        return port
    raise RuntimeError("gunicorn did not start")


def stop_children() -> None:
    for child in reversed(_children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in reversed(_children):
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    for step in _cleanup:
        step()
