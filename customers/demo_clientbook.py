"""Demo client books: each demo associate looks after some customers of their shop
(the demo customer among Giulia's, at Milano Duomo), one with a birthday this week;
the daily run makes their birthday and follow-up tasks, and each associate has a task
written by hand and one snoozed.

Runs after the orders seed, so the clients have purchases to show; deterministic, and
skipped when any client book exists. Everything goes through the services, so the
timelines read as in a shop.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from customers.demo import DEMO_CUSTOMER_EMAIL
from customers.models import Customer
from customers.services.clientbook import assign_associate
from customers.services.profiles import update_profile
from customers.services.tasks import (
    create_manual_task,
    generate_client_tasks,
    snooze_task,
)
from omnistore.accounts.models import Role, User
from omnistore.core.channels import Channel

CLIENTS_PER_ASSOCIATE = 8


def demo_associates() -> list[User]:
    """The active associates with a home shop, in a fixed order."""
    return list(
        User.objects.filter(role=Role.ASSOCIATE, is_active=True, store__isnull=False)
        .select_related("store")
        .order_by("username")
    )


def _clients_for(associate, taken: set[int]) -> list[Customer]:
    live = Customer.objects.filter(merged_into__isnull=True, is_anonymised=False)
    near = live.filter(created_location=associate.store_id).exclude(pk__in=taken)
    clients = list(near.order_by("pk")[:CLIENTS_PER_ASSOCIATE])
    if associate.username == "associate":
        demo = live.filter(email=DEMO_CUSTOMER_EMAIL).first()
        if demo is not None and demo.pk not in taken:
            clients = [demo, *clients[: CLIENTS_PER_ASSOCIATE - 1]]
    return clients


def seed_client_book(*, scale: int = 1, stdout=None) -> dict[str, int]:
    say = stdout.write if stdout is not None else (lambda _text: None)
    if Customer.objects.filter(assigned_associate__isnull=False).exists():
        say("Client book: already present, skipped.")
        return {}
    associates = demo_associates()
    if not associates:
        say("Client book: no associates yet, skipped.")
        return {}
    started = time.monotonic()
    today = timezone.localdate()
    taken: set[int] = set()
    tasks = 0
    with transaction.atomic():
        for associate in associates:
            clients = _clients_for(associate, taken)
            for customer in clients:
                assign_associate(
                    customer=customer,
                    associate=associate,
                    actor=associate,
                    location=associate.store,
                )
                taken.add(customer.pk)
            if not clients:
                continue
            update_profile(
                customer=clients[-1],
                actor=associate,
                channel=Channel.STORE,
                birthday=(today + timedelta(days=3)).replace(year=1988),
            )
            create_manual_task(
                customer=clients[0],
                title="Call about the new season's arrivals",
                due_on=today,
                actor=associate,
                shop=associate.store,
            )
            later = create_manual_task(
                customer=clients[min(1, len(clients) - 1)],
                title="Invite to the private sale",
                due_on=today,
                actor=associate,
                shop=associate.store,
            )
            snooze_task(task=later, until=today + timedelta(days=5), actor=associate)
            tasks += 2
        tasks += sum(generate_client_tasks(today=today).values())
    counts = {"clients": len(taken), "tasks": tasks}
    say(
        f"Client book: {len(taken)} clients of {len(associates)} associates, "
        f"{tasks} tasks ({time.monotonic() - started:.1f} s)."
    )
    return counts
