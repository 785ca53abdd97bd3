"""What /proc says about the machine: CPU used per command, how busy the cores were,
and this process's memory figures."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_by_command() -> dict[str, float]:
    """CPU seconds used so far by every process on the machine, summed per command."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        if entry == str(os.getpid()):
            name = "load generator"
        elif name == "nginx":  # the checkout benchmark's webhook subscriber
            name = "subscriber"
        fields = raw[raw.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        totals[name] = totals.get(name, 0.0) + used
    return totals


def cpu_since(before: dict[str, float]) -> dict[str, float]:
    """CPU seconds per command used since ``before`` (commands that used none left out)."""
    after = cpu_by_command()
    return {
        name: after[name] - before.get(name, 0.0)
        for name in after
        if after[name] - before.get(name, 0.0) > 0
    }


def machine_busy() -> tuple[float, float, float]:
    """CPU time so far (ticks): busy, in all, and stolen by the host of this virtual
    machine (counted as busy)."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + values[4]
    steal = values[7] if len(values) > 7 else 0
    return sum(values) - idle, sum(values), steal


def busy_since(before: tuple[float, float, float]) -> float:
    """The share of the machine's CPU time that was busy since ``before``."""
    after = machine_busy()
    return (after[0] - before[0]) / max(after[1] - before[1], 1)


def stolen_since(before: tuple[float, float, float]) -> float:
    """The share of the machine's CPU time its host took since ``before``."""
    after = machine_busy()
    return (after[2] - before[2]) / max(after[1] - before[1], 1)


def proc_status(key: str) -> int:
    """A figure of /proc/self/status in kB (VmRSS, VmHWM), 0 when absent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0
