"""The throwaway services a benchmark runs against: Redis, the Celery processes,
gunicorn and the webhook subscriber, all on loopback, stopped (and their scratch
folders removed) at the end."""

from __future__ import annotations

import os
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


def spawn_child(args: list[str], folder) -> subprocess.Popen:
    """A process stopped at the end, with its scratch ``folder`` removed then."""
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _children.append(child)
    _cleanup.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    return child


def start_worker(env, nice: int) -> None:
    """The Celery processes as docs/operations.md runs them (the commands of
    docs/deploy/Procfile): the worker (prefork, a child per core), the webhook worker
    (threads, on its own queue) and beat, at info level, ``nice``-d so requests come
    first on a host they share with web workers (0 runs them as peers)."""
    celery = [
        *(["nice", "-n", str(nice)] if nice else []),
        str(ROOT / ".venv/bin/celery"),
    ]
    workdir = tempfile.mkdtemp(prefix="bench-beat-")
    _cleanup.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    commands = [
        ["worker", "--loglevel=info", "--pool=prefork",
         f"--concurrency={os.cpu_count()}", "--hostname", "worker1@%h"],
        ["worker", "-Q", "webhooks", "--loglevel=info", "--pool=threads",
         "--concurrency=8", "--hostname", "webhooks@%h"],
        ["beat", "--loglevel=info", "--schedule", f"{workdir}/beat-schedule"],
    ]  # fmt: skip
    for args in commands:
        child = subprocess.Popen(
            [*celery, "-A", "omnistore", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _children.append(child)


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
