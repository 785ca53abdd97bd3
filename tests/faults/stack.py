"""The real processes a fault test starts, stops and kills, all on loopback.

PostgreSQL is the throwaway cluster the run was started on (``.ci/pg.sh``): the test
database pytest-django made, which these processes share with the test. Redis,
Celery workers, beat and gunicorn run with the production settings (the payment
provider is the Stripe adapter pointed at a fake Stripe in the test process; email
goes to a fake SMTP server there too).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, step: float = 0.1, what: str = ""):
    """Poll until ``predicate()`` is truthy; its value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def database_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        if db["USER"]
        else f"postgres://{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )


class Redis:
    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, what="redis-server")
        return self

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)


class Stack:
    """Processes started with one environment; each stopped at the end."""

    def __init__(self, tmp: Path, redis: Redis, **env: str):
        self.tmp = tmp
        self.redis = redis
        self.processes: dict[str, subprocess.Popen] = {}
        self.web_port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
            "OMNISTORE_ENV": "production",
            "SECRET_KEY": "fault-tests-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis.url,
            "CACHE_URL": "",
            "DB_CONN_MAX_AGE": "60",
            "OMNISTORE_PAYMENT_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": "sk_test_fake",
            "STRIPE_WEBHOOK_SECRET": "whsec_fake_for_tests",
            "STRIPE_MAX_NETWORK_RETRIES": "0",
            "OMNISTORE_WEBHOOK_ALLOW_HTTP": "1",
            "OMNISTORE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "OMNISTORE_WEBHOOK_ENDPOINTS_TTL": "0",
            "OMNISTORE_OUTBOX_DRAIN_DELAY": "0.05",
            "PYTHONUNBUFFERED": "1",
            # One client address sends the whole load: counts are shared (Redis).
            "THROTTLE_ANON": "100000/minute",
            "THROTTLE_USER": "100000/minute",
            **env,
        }

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115  (kept by the process)
        process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def worker(self, name: str = "worker", *, queues: str = "celery", pool="solo"):
        argv = [str(BIN / "celery"), "-A", "omnistore", "worker", "-n", f"{name}@%h"]
        argv += ["-Q", queues, "--pool", pool, "--loglevel", "INFO"]
        if pool == "threads":
            argv += ["--concurrency", "4"]
        process = self.start(name, argv)
        wait_for(
            lambda: "ready." in self.log(name) or process.poll() is not None,
            timeout=60,
            what=f"celery worker {name}",
        )
        assert process.poll() is None, self.log(name)
        return process

    def beat(self, schedule: Path, name: str = "beat") -> subprocess.Popen:
        argv = [str(BIN / "celery"), "-A", "omnistore", "beat", "--loglevel", "INFO"]
        return self.start(name, argv + ["--schedule", str(schedule)])

    def web(self, workers: int = 2, timeout: int = 30) -> subprocess.Popen:
        argv = [str(BIN / "gunicorn"), "omnistore.wsgi", "--bind"]
        argv += [f"127.0.0.1:{self.web_port}", "--workers", str(workers)]
        argv += ["--timeout", str(timeout), "--worker-tmp-dir", "/dev/shm"]
        process = self.start("web", argv)
        wait_for(self._web_answers, timeout=60, what="gunicorn")
        return process

    def _web_answers(self) -> bool:
        try:
            urllib.request.urlopen(self.url("/api/v1/nonexistent/"), timeout=1)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=60)

    def alive(self, name: str) -> bool:
        return name in self.processes and self.processes[name].poll() is None

    def stop(self) -> None:
        for name, process in list(self.processes.items()):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            del self.processes[name]
        connection.close()
