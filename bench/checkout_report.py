"""The checkout benchmark's printed results and its PASS/MISS lines against the
targets. It only reads the figures; nothing here asserts."""

from __future__ import annotations

from checkout_config import (
    TARGET_COMMITS,
    TARGET_FLOWS_PER_S,
    TARGET_P99_MS,
    TARGET_STATEMENTS,
)
from checkout_load import sustained
from common import pct, verdict

CPU_GROUPS = ("gunicorn", "postgres", "celery", "load generator", "subscriber")


def report(counts: dict, results: list[dict], raw: dict) -> None:
    print_counts(counts)
    print_flows(results)
    print_cpu(results)
    print_outbox(results)
    print_raw(raw)
    print_targets(counts, results)


def flow_totals(counts: dict) -> tuple[int, int]:
    """Statements and commits of the whole flow."""
    return (
        sum(statements for statements, _ in counts.values()),
        sum(commits for _, commits in counts.values()),
    )


def print_counts(counts: dict) -> None:
    print()
    print(
        "Statements and commits per request (one in-process flow, connection wrapped):"
    )
    for name, (statements, commits) in counts.items():
        print(f"  {name:<12} {statements:>3} SQL statements  {commits} commit(s)")
    total_statements, total_commits = flow_totals(counts)
    print(
        f"  {'whole flow':<12} {total_statements:>3} SQL statements  {total_commits} commit(s)"
    )


def print_flows(results: list[dict]) -> None:
    print()
    print("Flow = new cart + add 2 lines + checkout (3 HTTP requests):")
    print(
        f"  {'clients':>7} {'flows/s':>8} {'sustained':>9} {'req/s':>7} {'p50 ms':>7}"
        f" {'p99 ms':>7} {'checkout p50':>12} {'checkout p99':>12} {'errors':>7}"
    )
    for r in results:
        rate = len(r["flows"]) / r["elapsed"]
        print(
            f"  {r['clients']:>7} {rate:>8.1f} {sustained(r):>9.1f} {rate * 3:>7.1f}"
            f" {pct(r['flows'], 50):>7.1f}"
            f" {pct(r['flows'], 99):>7.1f} {pct(r['per_request']['checkout'], 50):>12.1f}"
            f" {pct(r['per_request']['checkout'], 99):>12.1f} {sum(r['errors'].values()):>7}"
            + (f"  {r['errors']}" if r["errors"] else "")
        )


def print_cpu(results: list[dict]) -> None:
    print()
    print("CPU per flow by process (ms; the machine has 2 cores shared by everything):")
    for r in results:
        n = max(len(r["flows"]), 1)
        parts = {g: r["cpu"].get(g, 0.0) for g in CPU_GROUPS}
        other = sum(v for k, v in r["cpu"].items() if k not in CPU_GROUPS)
        print(
            f"  {r['clients']:>3} clients: "
            + "  ".join(f"{g} {parts[g] / n * 1000:.1f}" for g in CPU_GROUPS)
            + f"  other processes {other / n * 1000:.1f}"
            + f"  | machine busy {r['busy'] * 100:.0f}%, load {r['load']:.1f}"
        )
    print("  (other = processes on the machine that are not part of this benchmark)")
    print(
        "  (CPU counted until the outbox rows of the run were delivered; sustained ="
        " flows over the load plus that delivery time)"
    )


def print_outbox(results: list[dict]) -> None:
    print()
    print("Outbox (receipts, points, timeline) as each run's load stopped:")
    for r in results:
        print(
            f"  {r['clients']:>3} clients: {r['backlog']} rows pending,"
            f" delivered {r['drained_in']:.1f} s later"
        )


def print_raw(raw: dict) -> None:
    raw_rate = len(raw["latencies"]) / raw["elapsed"]
    print()
    print(
        f"Raw SQL (psycopg, same order + reservation writes, {raw['statements']} statements,"
        f" 1 commit), 8 clients: {raw_rate:.1f} tx/s, p50 {pct(raw['latencies'], 50):.1f} ms,"
        f" p99 {pct(raw['latencies'], 99):.1f} ms"
    )


def print_targets(counts: dict, results: list[dict]) -> None:
    at8 = next(r for r in results if r["clients"] == 8)
    print()
    print("Targets at 8 clients:")
    for label, ok, value in target_checks(counts, at8):
        print(f"  {verdict(ok)}  {label:<38} measured {value}")


def target_checks(counts: dict, at8: dict) -> list[tuple[str, bool, str]]:
    """(target, met, measured) for every target, from the run at 8 clients."""
    rate8 = sustained(at8)
    flow_p99 = pct(at8["flows"], 99)
    checkout_p99 = pct(at8["per_request"]["checkout"], 99)
    checkout_statements, checkout_commits = counts["checkout"]
    total_statements, total_commits = flow_totals(counts)
    return [
        (
            f"sustained flows/s >= {TARGET_FLOWS_PER_S}",
            rate8 >= TARGET_FLOWS_PER_S,
            f"{rate8:.1f}",
        ),
        (
            f"flow p99 < {TARGET_P99_MS} ms",
            flow_p99 < TARGET_P99_MS,
            f"{flow_p99:.1f} ms",
        ),
        (
            f"checkout p99 < {TARGET_P99_MS} ms",
            checkout_p99 < TARGET_P99_MS,
            f"{checkout_p99:.1f} ms",
        ),
        (
            f"checkout <= {TARGET_STATEMENTS} SQL statements",
            checkout_statements <= TARGET_STATEMENTS,
            str(checkout_statements),
        ),
        (
            f"whole flow <= {TARGET_STATEMENTS} SQL statements",
            total_statements <= TARGET_STATEMENTS,
            str(total_statements),
        ),
        (
            f"whole flow <= {TARGET_COMMITS} commits",
            total_commits <= TARGET_COMMITS,
            str(total_commits),
        ),
        ("checkout = 1 commit", checkout_commits == 1, str(checkout_commits)),
        (
            "outbox delivered within 2 s of the load",
            at8["drained_in"] <= 2.0,
            f"{at8['drained_in']:.1f} s ({at8['backlog']} rows pending)",
        ),
    ]
