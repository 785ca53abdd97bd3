"""Driving the storefront flow through gunicorn at a number of concurrent clients for
a bounded time, with the CPU it cost and the outbox it left behind."""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid

from checkout_flow import flow_requests
from loadgen import failure, request, run_threads
from machine import busy_since, cpu_by_command, cpu_since, machine_busy, stolen_since


class Tally:
    """What the clients of one run measured: flow and per-request latencies, and the
    failed flows counted by the status that ended them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.flows: list[float] = []
        self.per_request: dict[str, list[float]] = {
            "new cart": [],
            "add 2 lines": [],
            "checkout": [],
        }
        self.errors: dict[int | str, int] = {}

    def failed(self, status: int | str) -> None:
        with self.lock:
            self.errors[status] = self.errors.get(status, 0) + 1

    def done(self, t0: float, t1: float, t2: float, t3: float) -> None:
        with self.lock:
            self.flows.append(t3 - t0)
            self.per_request["new cart"].append(t1 - t0)
            self.per_request["add 2 lines"].append(t2 - t1)
            self.per_request["checkout"].append(t3 - t2)


def one_flow(port, data, rng: random.Random, tally: Tally, realistic: bool) -> None:
    """New cart, add two lines, checkout: three requests on the socket, timed."""
    lines, checkout = flow_requests(data, rng, realistic)
    t0 = time.perf_counter()
    s1, raw = request(port, "POST", "/api/v1/cart/")
    t1 = time.perf_counter()
    if s1 != 201:
        tally.failed(failure(s1, raw))
        return
    token = json.loads(raw)["token"]
    s2, raw2 = request(
        port, "POST", "/api/v1/cart/lines/", lines, {"X-Cart-Token": token}
    )
    t2 = time.perf_counter()
    s3, raw3 = request(
        port,
        "POST",
        "/api/v1/checkout/",
        checkout,
        {"X-Cart-Token": token, "Idempotency-Key": str(uuid.uuid4())},
    )
    t3 = time.perf_counter()
    if s2 != 201 or s3 != 201:
        tally.failed(failure(s2, raw2) if s2 != 201 else failure(s3, raw3))
        return
    tally.done(t0, t1, t2, t3)


def outbox_backlog(timeout: float = 120.0) -> tuple[int, float]:
    """Outbox rows still pending as a run's load stops, and how long the Celery
    workers then took to deliver them and the webhook calls they raised: the measured
    rate counts only if the workers keep up."""
    from django.db import connection

    from omnistore.core.models import OutboxMessage, WebhookDelivery

    outbox = OutboxMessage.objects.filter(processed_at__isnull=True)
    calls = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
    backlog, started = outbox.count(), time.perf_counter()

    def pending() -> bool:
        return outbox.exists() or calls.exists()

    while pending() and time.perf_counter() - started < timeout:
        time.sleep(0.05)
    waited = time.perf_counter() - started
    drained_in = waited if not pending() else float("inf")
    connection.close()
    return backlog, drained_in


def combined(runs: list[dict]) -> dict:
    """Runs of one kind taken as one: their flows, time, failures and CPU added up
    (``blocks`` keeps each run)."""
    first = runs[0]
    per_request = {
        name: [t for run in runs for t in run["per_request"][name]]
        for name in first["per_request"]
    }
    errors: dict[int, int] = {}
    cpu: dict[str, float] = {}
    for run in runs:
        for status, count in run["errors"].items():
            errors[status] = errors.get(status, 0) + count
        for name, seconds in run["cpu"].items():
            cpu[name] = cpu.get(name, 0.0) + seconds
    return {
        **first,
        "backlog": sum(run["backlog"] for run in runs),
        "drained_in": sum(run["drained_in"] for run in runs),
        "elapsed": sum(run["elapsed"] for run in runs),
        "flows": [t for run in runs for t in run["flows"]],
        "per_request": per_request,
        "errors": errors,
        "cpu": cpu,
        "busy": sum(run["busy"] for run in runs) / len(runs),
        "blocks": runs,
    }


def sustained(run: dict) -> float:
    """Flows per second over the load and the delivery of its outbox rows after it."""
    return len(run["flows"]) / (run["elapsed"] + run["drained_in"])


def drive(
    port, data, clients: int, seconds: float, realistic: bool = False, beside=None
) -> dict:
    """``clients`` storefront buyers for ``seconds`` (the realistic mix when asked);
    ``beside(stop)``, when given, runs on one more thread meanwhile (a shop associate
    looking stock up while customers buy)."""
    load = os.getloadavg()[0]  # the 1-minute load average as the run starts
    cpu_before, busy_before = cpu_by_command(), machine_busy()
    stop = time.perf_counter() + seconds
    tally = Tally()

    def client(seed):
        if seed == clients:
            return beside(stop)
        rng = random.Random(seed + (1000 if realistic else 0) + int(stop * 1000))
        while time.perf_counter() < stop:
            one_flow(port, data, rng, tally, realistic)

    elapsed = run_threads(client, clients + (beside is not None))
    # the orders' side effects are part of the run: CPU is counted until the worker
    # has delivered them, and the sustained rate spreads the flows over that time too
    backlog, drained_in = outbox_backlog()
    return {
        "realistic": realistic,
        "backlog": backlog,
        "drained_in": drained_in,
        "clients": clients,
        "elapsed": elapsed,
        "flows": tally.flows,
        "per_request": tally.per_request,
        "errors": tally.errors,
        "cpu": cpu_since(cpu_before),
        "busy": busy_since(busy_before),
        "stolen": stolen_since(busy_before),
        "load": load,
    }


def drive_requests(
    port, make, clients: int, seconds: float, writes_orders: bool = False
) -> dict:
    """``clients`` threads sending ``make(rng)`` -> (method, path, body, headers,
    expected status) for ``seconds``: requests per second, latencies, failures by
    status, and the CPU they cost. Requests that place orders (``writes_orders``)
    are followed, as the flows are, until the worker has delivered their side
    effects: counted in the CPU and in a sustained rate, and not left to slow down
    the next measurement."""
    load = os.getloadavg()[0]
    cpu_before, busy_before = cpu_by_command(), machine_busy()
    stop = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[int, int] = {}

    def client(seed):
        rng = random.Random(seed + int(stop * 1000))
        while time.perf_counter() < stop:
            sent, ok = timed_request(port, make(rng))
            with lock:
                if ok is True:
                    latencies.append(sent)
                else:
                    errors[ok] = errors.get(ok, 0) + 1

    elapsed = run_threads(client, clients)
    backlog, drained_in = outbox_backlog() if writes_orders else (0, 0.0)
    return {
        "clients": clients,
        "elapsed": elapsed,
        "backlog": backlog,
        "drained_in": drained_in,
        "latencies": latencies,
        "errors": errors,
        "cpu": cpu_since(cpu_before),
        "busy": busy_since(busy_before),
        "load": load,
    }


def timed_request(port, spec) -> tuple[float, object]:
    """Seconds one request took and True, or its unexpected status."""
    method, path, body, headers, expected = spec
    t0 = time.perf_counter()
    status, raw = request(port, method, path, body, headers)
    return time.perf_counter() - t0, True if status == expected else failure(
        status, raw
    )


def beside_requests(port, make, into: dict):
    """A ``beside`` for ``drive``: one thread sending ``make(rng)`` until the run
    stops, its latencies and failures kept in ``into``."""

    def run(stop):
        rng = random.Random(int(stop * 1000))
        into.setdefault("latencies", [])
        into.setdefault("errors", {})
        started = time.perf_counter()
        while time.perf_counter() < stop:
            sent, ok = timed_request(port, make(rng))
            if ok is True:
                into["latencies"].append(sent)
            else:
                into["errors"][ok] = into["errors"].get(ok, 0) + 1
        into["elapsed"] = time.perf_counter() - started

    return run
