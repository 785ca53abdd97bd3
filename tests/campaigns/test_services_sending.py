"""Sending a broadcast: one message per consenting customer and channel, once."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.backends import MemoryBackend
from campaigns.models import (
    CampaignStatus,
    Message,
    MessageStatus,
)
from campaigns.rendering import template_errors
from campaigns.selectors.sending import due_campaigns
from campaigns.services.campaigns import cancel_campaign, schedule_campaign
from campaigns.services.sending import send_campaign, send_due_campaigns
from customers.models import CustomerEvent
from customers.services.erasure import erase_customer
from customers.services.merge import merge_customers
from customers.services.profiles import update_profile
from omnistore.core.exceptions import IllegalTransition, ValidationFailed
from orders.services.discounts import create_discount_code
from tests.campaigns.factories import EVERYONE, Shop, campaign, grant, person
from tests.factories import CategoryFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db


def sent_pairs() -> set[tuple[int, str]]:
    return set(
        Message.objects.filter(status=MessageStatus.SENT).values_list(
            "customer_id", "channel"
        )
    )


def test_one_message_per_consenting_customer_and_channel_and_a_rerun_sends_nothing():
    both = person("Ada", phone=True)
    grant(both, "email", "sms")
    email_only = person("Bea", phone=True)
    grant(email_only, "email")
    sms_only = person("Cai", phone=True)
    grant(sms_only, "sms")
    nothing = person("Dan", phone=True)
    withdrawn = person("Eva", phone=True)
    grant(withdrawn, "email", "sms")
    grant(withdrawn, "sms", granted=False)
    no_phone = person("Fil")
    grant(no_phone, "sms", "email")
    push_only = person("Gio")
    grant(push_only, "push")
    spring = campaign(
        rules=EVERYONE, channels=("email", "sms"), status=CampaignStatus.SCHEDULED
    )

    result = send_campaign(campaign=spring, batch_size=2)

    expected = {
        (both.pk, "email"),
        (both.pk, "sms"),
        (email_only.pk, "email"),
        (sms_only.pk, "sms"),
        (withdrawn.pk, "email"),
        (no_phone.pk, "email"),
    }
    assert sent_pairs() == expected
    assert result.sent == 6 and result.finished
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [both.email, email_only.email, withdrawn.email, no_phone.email]
    )
    assert sorted(m.to for m in MemoryBackend.outbox) == sorted(
        [both.phone, sms_only.phone]
    )
    spring.refresh_from_db()
    assert spring.status == CampaignStatus.SENT
    assert spring.lease_until is None
    events = CustomerEvent.objects.filter(kind="message_sent")
    assert set(events.values_list("customer_id", "channel")) == expected
    assert nothing.pk not in set(events.values_list("customer_id", flat=True))

    # A finished campaign is not sent again.
    assert send_campaign(campaign=spring).busy
    # Even forced through again (a duplicate task racing the finish), nothing new is
    # inserted or sent.
    spring.status = CampaignStatus.SENDING
    spring.save(update_fields=["status"])
    again = send_campaign(campaign=spring, batch_size=2)
    assert again.sent == 0 and again.queued == 6
    assert Message.objects.count() == 6
    assert len(mail.outbox) == 4 and MemoryBackend.sent_count == 2
    assert CustomerEvent.objects.filter(kind="message_sent").count() == 6


def test_only_the_segment_is_messaged_and_merged_or_erased_profiles_never():
    shop = Shop()
    buyer = person("Ada")
    shop.sell_in_store(buyer)
    grant(buyer, "email")
    other = person("Bea")
    grant(other, "email")
    loser = person("Cai")
    shop.sell_in_store(loser)
    grant(loser, "email")
    merge_customers(survivor=other, other=loser, actor=StaffFactory())
    erased = person("Dan")
    shop.sell_in_store(erased)
    grant(erased, "email")
    erase_customer(customer=erased)
    store_buyers = campaign(
        rules={"field": "channels_used", "op": "eq", "value": "store_only"},
        status=CampaignStatus.SCHEDULED,
    )

    send_campaign(campaign=store_buyers)

    assert sent_pairs() == {(buyer.pk, "email"), (other.pk, "email")}


class Crash(BaseException):
    """The worker dies mid-batch (not an error the code may catch)."""


class CrashingBackend(MemoryBackend):
    calls = 0
    crash_on = 2

    def send_messages(self, messages):
        CrashingBackend.calls += 1
        if CrashingBackend.calls == CrashingBackend.crash_on:
            raise Crash
        return super().send_messages(messages)


def test_a_crashed_send_resumed_sends_only_what_is_left(settings):
    settings.OMNISTORE_SMS_BACKEND = (
        "tests.campaigns.test_services_sending.CrashingBackend"
    )
    CrashingBackend.calls = 0
    people = [person(f"P{i}", phone=True) for i in range(7)]
    for customer in people:
        grant(customer, "sms")
    sale = campaign(rules=EVERYONE, channels=("sms",), status=CampaignStatus.SCHEDULED)

    with pytest.raises(Crash):
        send_campaign(campaign=sale, batch_size=3)
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 3
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 4
    sale.refresh_from_db()
    assert sale.status == CampaignStatus.SENDING

    # Meanwhile one of the customers still waiting withdraws their consent.
    waiting = Message.objects.filter(status=MessageStatus.QUEUED).order_by("pk").last()
    grant(waiting.customer, "sms", granted=False)

    assert due_campaigns(now=timezone.now()) == [sale.pk]
    resumed = send_campaign(campaign=sale, batch_size=3)

    assert resumed.sent == 3 and resumed.skipped == 1 and resumed.finished
    delivered = [m.to for m in MemoryBackend.outbox]
    assert len(delivered) == len(set(delivered)) == 6
    assert waiting.customer.phone not in delivered
    assert Message.objects.get(pk=waiting.pk).status == MessageStatus.SKIPPED
    sale.refresh_from_db()
    assert sale.status == CampaignStatus.SENT


class DownBackend(MemoryBackend):
    down = True

    def send_messages(self, messages):
        if DownBackend.down:
            raise ConnectionError("provider unreachable")
        return super().send_messages(messages)


def test_a_provider_outage_leaves_messages_queued_for_a_later_run(settings):
    settings.OMNISTORE_PUSH_BACKEND = (
        "tests.campaigns.test_services_sending.DownBackend"
    )
    DownBackend.down = True
    customer = person()
    grant(customer, "push")
    news = campaign(rules=EVERYONE, channels=("push",), status=CampaignStatus.SCHEDULED)

    first = send_campaign(campaign=news)
    assert first.deferred == 1 and not first.finished
    message = Message.objects.get()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert "provider unreachable" in message.error

    DownBackend.down = False
    second = send_campaign(campaign=news)
    assert second.sent == 1 and second.finished
    assert Message.objects.get().status == MessageStatus.SENT


def test_the_email_is_personal_tracked_and_carries_an_unsubscribe_link():
    shirts = CategoryFactory(slug="shirts", name="Shirts")
    shop = Shop(category=shirts)
    favourite = VariantFactory(product__category=shirts, product__name="Linen shirt")
    stock(favourite, shop.warehouse, 50)
    stock(favourite, shop.store, 2)
    fan = person("Ada")
    update_profile(customer=fan, preferred_store=shop.store.pk)
    grant(fan, "email")
    shop.sell_in_store(fan)
    for _ in range(3):  # another customer makes the linen shirt a best seller
        shop.sell_online(person(), variant=favourite)
    create_discount_code(code="SPRING10", kind="percentage", value=10)
    featured = campaign(
        rules={"field": "consent.email", "op": "is_true"},
        templates={
            "email": (
                "{{ first_name }}, news from {{ store.name }}",
                "Hi {{ first_name }}!\n"
                "{% for item in featured %}{{ item.name }}: {{ item.in_store }} in "
                "{{ store.name }}\n{% endfor %}"
                "{% for r in recommendations %}Try {{ r.name }}\n{% endfor %}"
                "Code {{ discount_code }} at https://shop.example.org/sale?x=1",
            )
        },
        discount_code="SPRING10",
    )
    featured.featured_variants.add(favourite)
    schedule_campaign(campaign=featured)

    send_campaign(campaign=featured)

    [email] = mail.outbox
    message = Message.objects.get(customer=fan)
    assert email.to == [fan.email]
    assert email.subject == f"Ada, news from {shop.store.name}"
    assert f"Linen shirt (Blue / M): 2 in {shop.store.name}" in email.body
    assert "Try Linen shirt" in email.body
    assert "Code SPRING10" in email.body
    assert "https://shop.example.org/sale" not in email.body  # rewritten for tracking
    assert re.search(r"https://shop\.example\.com/t/c/[^/\s]+/", email.body)
    assert "Unsubscribe: https://shop.example.com/t/u/" in email.body
    assert email.extra_headers["List-Unsubscribe"].startswith(
        "<https://shop.example.com/t/u/"
    )
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert 'src="https://shop.example.com/t/o/' in html
    assert message.status == MessageStatus.SENT and message.delivered_at is not None


def test_a_campaign_is_scheduled_only_when_ready_and_sent_only_when_due():
    customer = person()
    grant(customer, "email", "sms")
    draft = campaign(rules=EVERYONE, channels=("email",))
    draft.channels = ["email", "sms"]
    draft.save(update_fields=["channels"])
    with pytest.raises(ValidationFailed) as refused:
        schedule_campaign(campaign=draft)
    assert (
        "Write the SMS message, or untick SMS among the channels."
        in refused.value.extra["templates"]
    )

    later = campaign(rules=EVERYONE)
    schedule_campaign(campaign=later, send_at=timezone.now() + timedelta(hours=2))
    assert send_due_campaigns() == []
    assert not Message.objects.exists()
    assert send_due_campaigns(now=timezone.now() + timedelta(hours=3)) == [later.pk]
    assert sent_pairs() == {(customer.pk, "email")}
    with pytest.raises(IllegalTransition):
        cancel_campaign(campaign=later)


def test_a_cancelled_campaign_sends_nothing():
    grant(person(), "email")
    stopped = campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED)
    cancel_campaign(campaign=stopped, note="Wrong prices")
    result = send_campaign(campaign=stopped)
    assert result.busy and not Message.objects.exists()
    assert [h.to_status for h in stopped.history.all()] == ["scheduled", "cancelled"]


def test_templates_are_sandboxed():
    errors = template_errors(
        channel="email", subject="Hi", body="{% load static %}{% include 'x' %}"
    )
    assert "{% load %} is not allowed" in " ".join(errors["body"])
    errors = template_errors(channel="email", subject="", body="{{ first_name|nope }}")
    assert errors["subject"] and "Template error" in errors["body"][0]
    assert template_errors(channel="sms", subject="", body="Hi {{ first_name }}") == {}
