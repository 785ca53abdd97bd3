"""Sends of 10k and 100k recipients into the in-memory SMS backend, each in a fresh
process so their peaks are separate: messages per second and peak RSS (VmHWM)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta

from common import verdict
from machine import proc_status

SEND_TARGET = 2000.0


def send_child(recipients: int, batch_size: int | None) -> None:
    """One send in this (fresh) process; prints a JSON line with the figures."""
    from django.utils import timezone

    from campaigns.backends import MemoryBackend
    from campaigns.selectors.audiences import campaign_audience
    from campaigns.services.campaigns import schedule_campaign
    from campaigns.services.sending import send_campaign

    give_push_consent(recipients)
    campaign = sms_campaign(recipients)
    send_at = timezone.now() + timedelta(seconds=1)
    schedule_campaign(campaign=campaign, send_at=send_at)
    audience = campaign_audience(campaign).count()
    MemoryBackend.reset()
    rss_before = proc_status("VmRSS")
    start = time.perf_counter()
    result = send_campaign(campaign=campaign, now=send_at, batch_size=batch_size)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "recipients": recipients,
                "audience": audience,
                "sent": result.sent,
                "backend": MemoryBackend.sent_count,
                "seconds": elapsed,
                "rss_before_kb": rss_before,
                "hwm_kb": proc_status("VmHWM"),
                "finished": result.finished,
            }
        )
    )


def give_push_consent(recipients: int) -> None:
    """The audience is exactly the first ``recipients`` customers: those given a push
    consent here (untimed); the send itself goes out by SMS."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_consent WHERE channel = 'push'")
        cursor.execute(
            "INSERT INTO customers_consent "
            "(customer_id, channel, granted, source_channel, updated_at) "
            "SELECT id, 'push', true, 'app', now() FROM customers_customer "
            "ORDER BY id LIMIT %s",
            [recipients],
        )
        cursor.execute("ANALYZE customers_consent")


def sms_campaign(recipients: int):
    """An SMS campaign to the customers with both a push and an SMS consent."""
    from django.utils import timezone

    from campaigns.models import Campaign, MessageTemplate
    from campaigns.services.segments import create_segment

    segment = create_segment(
        name=f"Bench {recipients} {timezone.now().isoformat()}",
        rules={
            "all": [
                {"field": "consent.push", "op": "is_true"},
                {"field": "consent.sms", "op": "is_true"},
            ]
        },
    )
    campaign = Campaign.objects.create(
        name=f"Bench send {recipients}", segment=segment, channels=["sms"]
    )
    MessageTemplate.objects.create(
        campaign=campaign,
        channel="sms",
        body=(
            "Hi {{ first_name }}, new arrivals at "
            "{{ store.name|default:'our shops' }}: https://shop.example.com/new"
        ),
    )
    return campaign


def bench_sends(script: str, sizes: list[int], batch_size: int | None) -> bool:
    """Each send runs ``script --send-child SIZE`` in a fresh process."""
    ok = True
    peaks = []
    for size in sizes:
        figures = run_send(script, size, batch_size)
        peaks.append(figures["hwm_kb"])
        ok &= report_send(size, figures)
    if len(peaks) > 1:
        growth = peaks[-1] / peaks[0]
        bounded = growth < 1.5
        ok &= bounded
        print(
            f"  {verdict(bounded)} memory bounded: peak at {sizes[-1]:,} is "
            f"{growth:.2f}x the peak at {sizes[0]:,}"
        )
    return ok


def run_send(script: str, size: int, batch_size: int | None) -> dict:
    """The figures a child process printed for one send of ``size`` recipients."""
    command = [sys.executable, script, "--send-child", str(size)]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if run.returncode != 0:
        print(run.stdout, run.stderr)
        raise SystemExit(f"send of {size} failed")
    return json.loads(run.stdout.strip().splitlines()[-1])


def report_send(size: int, figures: dict) -> bool:
    """Prints one send's figures; whether it was fast enough and sent each once."""
    rate = figures["sent"] / figures["seconds"]
    once = figures["sent"] == figures["audience"] == figures["backend"]
    good = rate >= SEND_TARGET and once and figures["finished"]
    print(
        f"send to {size:,} customers ({figures['audience']:,} reachable, merged "
        f"profiles left out): {figures['sent']:,} sent in "
        f"{figures['seconds']:.1f} s = {rate:,.0f} messages/s; peak RSS "
        f"{figures['hwm_kb'] / 1024:.0f} MiB (RSS before the send "
        f"{figures['rss_before_kb'] / 1024:.0f} MiB)"
    )
    print(f"  {verdict(good)} >= {SEND_TARGET:,.0f} messages/s, every one sent once")
    return good
