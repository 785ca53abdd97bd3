"""What a worker knows, read in a fresh process that loads what a worker loads
(Django, then the apps' tasks modules): every beat entry names a task it registers
(a misspelt or unloaded one is sent every interval and dropped as unregistered), and
every outbox topic the apps write has a handler there (a row nobody handles waits
for ever)."""

import json
import os
import subprocess
import sys

from django.conf import settings

from customers.selectors.wishlists import WISHLIST_SHARE_TOPIC
from customers.services.appointments import REMINDER_TOPIC
from customers.services.inbox import REPLY_TOPIC
from customers.services.verification import TOPIC as VERIFICATION_TOPIC
from orders.emails import RETURN_TOPIC
from orders.emails import TOPIC as RECEIPT_TOPIC
from orders.models.giftcards import GIFT_CARD_EMAIL_TOPIC
from orders.services.sizes import TOPIC as SIZES_TOPIC

TOPICS = {
    WISHLIST_SHARE_TOPIC,
    REMINDER_TOPIC,
    REPLY_TOPIC,
    VERIFICATION_TOPIC,
    RETURN_TOPIC,
    RECEIPT_TOPIC,
    GIFT_CARD_EMAIL_TOPIC,
    SIZES_TOPIC,
    "orders.placed",
}

WORKER = """
import json, django
django.setup()
from omnistore.celery import app
app.loader.import_default_modules()
from omnistore.core import outbox
print(json.dumps({"tasks": sorted(app.tasks),
                  "topics": sorted([*outbox._HANDLERS, *outbox._BATCH_HANDLERS]),
                  "on_drain": [f.__name__ for f in outbox._ON_DRAIN]}))
"""


def worker_knows() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "omnistore.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", WORKER],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_knows_every_beat_task_every_outbox_topic_and_what_follows_a_drain():
    known = worker_knows()
    unknown = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in known["tasks"]
    }
    assert unknown == {}
    assert "inventory.tasks.sweep_low_stock" in known["tasks"]
    assert TOPICS - set(known["topics"]) == set()
    assert known["on_drain"] == ["wake_webhook_worker"]
