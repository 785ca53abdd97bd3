"""The realistic part of the checkout benchmark's report: every rate next to the floor
measured in the same run, the realistic flow against the friendly one, and the
requests measured alone. It only reads the figures; nothing here asserts."""

from __future__ import annotations

from checkout_config import (
    DELIVERY_SHARE,
    NEW_GUEST_SHARE,
    TARGET_BUY_NOW_OF_FLOOR,
    TARGET_REALISTIC_GAP,
)
from checkout_load import sustained
from checkout_report import CPU_GROUPS, flow_totals
from common import pct, verdict


def floor_rate(floors: list[dict]) -> float:
    """The floor's requests per second: the mean of the runs before and after."""
    rates = [len(f["latencies"]) / f["elapsed"] for f in floors]
    return sum(rates) / len(rates)


def report_realistic(r: dict) -> None:
    floor = floor_rate(r["floors"])
    print()
    print(
        "Floor (bench-only Django endpoint: one guarded UPDATE + one INSERT, 1 commit),"
        " 8 clients:"
    )
    for label, f in zip(
        ("before the flows", "after the rest"), r["floors"], strict=True
    ):
        rate = len(f["latencies"]) / f["elapsed"]
        print(
            f"  {label:<17} {rate:>7.1f} req/s  p50 {pct(f['latencies'], 50):.1f} ms"
            f"  p99 {pct(f['latencies'], 99):.1f} ms  errors {sum(f['errors'].values())}"
            f"  | machine busy {f['busy'] * 100:.0f}%, load {f['load']:.1f}"
        )
    print(f"  floor used below (mean): {floor:.1f} req/s")
    print_realistic_flow(r, floor)
    print_single(r, floor)
    print_realistic_targets(r, floor)


def _flow_row(label: str, run: dict, floor: float) -> str:
    rate = len(run["flows"]) / run["elapsed"]
    n = max(len(run["flows"]), 1)
    web = run["cpu"].get("gunicorn", 0.0) / n * 1000
    celery = run["cpu"].get("celery", 0.0) / n * 1000
    return (
        f"  {label:<10} {rate:>7.1f} {sustained(run):>9.1f} {rate * 3 / floor * 100:>9.1f}%"
        f" {pct(run['flows'], 50):>7.1f} {pct(run['flows'], 99):>7.1f}"
        f" {web:>8.1f} {celery:>8.1f} {run['backlog']:>6} {run['drained_in']:>6.1f}"
        f" {sum(run['errors'].values()):>6}"
        + (f" {run['errors']}" if run["errors"] else "")
    )


def print_realistic_flow(r: dict, floor: float) -> None:
    print()
    print(
        f"Realistic flow: {NEW_GUEST_SHARE:.0%} new guests (an email no profile has),"
        f" {1 - NEW_GUEST_SHARE:.0%} returning customers; {DELIVERY_SHARE:.0%} delivered,"
        f" the rest collected; a webhook subscriber for every event"
        f" ({r['webhooks_received']} POSTs received in all); automations on"
        f" ({', '.join(r['automations']) or 'none'}). Friendly flow: returning customers"
        f" collecting at a shop. 8 clients each, same run, {len(r['sequence']) // 2}"
        " blocks of each (friendly, realistic, realistic, friendly, and again) added up:"
    )
    print(
        f"  {'flow':<10} {'flows/s':>7} {'sustained':>9} {'req/s of floor':>10}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'web ms/f':>8} {'celery':>8} {'outbox':>6}"
        f" {'drain s':>6} {'errors':>6}"
    )
    print(_flow_row("friendly", r["friendly"], floor))
    print(_flow_row("realistic", r["realistic"], floor))
    print(
        "  each block in turn: flows/s (CPU ms per flow: gunicorn, celery;"
        " share of the cores the host took)"
    )
    for b in r["sequence"]:
        n = max(len(b["flows"]), 1)
        print(
            f"    {'realistic' if b['realistic'] else 'friendly':<10}"
            f" {len(b['flows']) / b['elapsed']:>6.1f}"
            f"  ({b['cpu'].get('gunicorn', 0.0) / n * 1000:.1f},"
            f" {b['cpu'].get('celery', 0.0) / n * 1000:.1f};"
            f" stolen {b['stolen']:.1%})"
        )
    statements, commits = flow_totals(r["realistic_counts"])
    print(
        f"  a new guest's delivered order: {statements} statements, {commits} commits"
        f" ({', '.join(f'{k} {s}' for k, (s, _) in r['realistic_counts'].items())})"
    )


def _single(label: str, run: dict, floor: float, unit: str = "req/s") -> None:
    rate = len(run["latencies"]) / run["elapsed"]
    print(
        f"  {label:<34} {rate:>7.1f} {unit} = {rate / floor * 100:>5.1f}% of the floor"
        f"  p50 {pct(run['latencies'], 50):.1f} ms  p99 {pct(run['latencies'], 99):.1f} ms"
        f"  errors {sum(run['errors'].values())}"
        + (f" {run['errors']}" if run["errors"] else "")
    )


def _cpu_per(run: dict) -> str:
    """CPU per request by process, as the flows' report groups it."""
    done = max(len(run["latencies"]), 1)
    other = sum(v for k, v in run["cpu"].items() if k not in CPU_GROUPS)
    return (
        ", ".join(
            f"{group} {run['cpu'].get(group, 0.0) / done * 1000:.1f}"
            for group in CPU_GROUPS
        )
        + f", other processes {other / done * 1000:.1f} ms"
    )


def print_single(r: dict, floor: float) -> None:
    print()
    print("Single requests, next to the floor:")
    buy_now = r["buy_now"]
    _single("buy now (8 clients, realistic mix)", buy_now, floor)
    print(
        f"  {'  then its side effects':<34} {buy_now['backlog']} outbox rows"
        f" delivered {buy_now['drained_in']:.1f} s after the load; sustained"
        f" {len(buy_now['latencies']) / (buy_now['elapsed'] + buy_now['drained_in']):.1f}"
        f" req/s; CPU per order: {_cpu_per(buy_now)}"
    )
    _single(
        f"availability of 1 SKU in {r['availability_shops']} shops (8)",
        r["availability"],
        floor,
    )
    lookup = r["lookup"]
    if lookup.get("elapsed"):
        _single("staff stock lookup (1 associate,", lookup, floor)
        under = r["under_load"]
        print(
            f"  {'  beside 8 realistic buyers)':<34} buyers meanwhile"
            f" {len(under['flows']) / under['elapsed']:.1f} flows/s"
        )


def print_realistic_targets(r: dict, floor: float) -> None:
    friendly = len(r["friendly"]["flows"]) / r["friendly"]["elapsed"]
    realistic = len(r["realistic"]["flows"]) / r["realistic"]["elapsed"]
    friendly_s, realistic_s = sustained(r["friendly"]), sustained(r["realistic"])
    buy_now = len(r["buy_now"]["latencies"]) / r["buy_now"]["elapsed"]
    print()
    print("Targets of the realistic run:")
    checks = [
        (
            f"realistic flows/s within {TARGET_REALISTIC_GAP:.0%} of friendly",
            realistic >= (1 - TARGET_REALISTIC_GAP) * friendly,
            f"{realistic:.1f} vs {friendly:.1f} ({realistic / friendly * 100:.0f}%)",
        ),
        (
            f"realistic sustained within {TARGET_REALISTIC_GAP:.0%} of friendly",
            realistic_s >= (1 - TARGET_REALISTIC_GAP) * friendly_s,
            f"{realistic_s:.1f} vs {friendly_s:.1f} ({realistic_s / friendly_s * 100:.0f}%)",
        ),
        (
            f"buy now >= {TARGET_BUY_NOW_OF_FLOOR:.0%} of the floor's req/s",
            buy_now >= TARGET_BUY_NOW_OF_FLOOR * floor,
            f"{buy_now:.1f} vs {floor:.1f} ({buy_now / floor * 100:.0f}%)",
        ),
    ]
    for label, ok, value in checks:
        print(f"  {verdict(ok)}  {label:<44} measured {value}")
