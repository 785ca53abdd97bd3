"""Making each recipient's message: a message that cannot be made fails on its own,
templates read their data without changing it, the unsubscribe link is always there,
and an SMS is measured with the links it is sent with."""

import copy
import logging
from html import escape
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from campaigns import tasks, tracking
from campaigns.backends import MemoryBackend
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from campaigns.rendering import (
    SAMPLE_CONTEXT,
    compile_template,
    render_message,
    template_errors,
)
from campaigns.services.campaigns import schedule_campaign
from campaigns.services.sending import send_campaign, send_due_campaigns
from customers.services.profiles import update_profile
from omnistore.celery import app
from tests.campaigns.factories import EVERYONE, campaign, grant, person
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

# Passes the check on save (the sample has a featured item) and fails on every
# message of a campaign featuring nothing: ``divisibleby`` is given None.
FAILS_WITHOUT_FEATURED = (
    "Hi {{ first_name }}{% if featured.0.in_store|divisibleby:'1' %} in stock"
    "{% endif %}"
)
MISSING_BACKEND = "campaigns.backends.NoSuchBackend"


def last_note(sent: Campaign) -> str:
    return sent.history.order_by("pk").last().note


@pytest.fixture
def tasks_inline():
    """Tasks run where they are called (the test settings' default), so what a send
    raises reaches its caller."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


def test_a_message_the_template_fails_on_fails_with_its_reason_and_the_rest_go():
    people = [person("Ada", phone=True), person("Bea", phone=True)]
    for customer in people:
        grant(customer, "email", "sms")
    news = campaign(
        rules=EVERYONE,
        channels=("email", "sms"),
        templates={"email": ("Hello {{ first_name }}", FAILS_WITHOUT_FEATURED)},
        status=CampaignStatus.SCHEDULED,  # the check on save lets it through
    )

    result = send_campaign(campaign=news)

    assert result.sent == 2 and result.failed == 2 and result.finished
    assert mail.outbox == [] and len(MemoryBackend.outbox) == 2
    for message in Message.objects.filter(channel="email"):
        assert message.status == MessageStatus.FAILED
        assert message.error.startswith("Template error when a message is made:")
        assert "TypeError" in message.error
    news.refresh_from_db()
    assert news.status == CampaignStatus.SENT and news.lease_until is None
    assert last_note(news) == "2 sent, 2 failed (each message says why)"


def test_a_send_where_every_message_fails_finishes_and_says_so():
    for name in ("Ada", "Bea"):
        grant(person(name), "email")
    news = campaign(
        rules=EVERYONE,
        templates={"email": ("Hello", FAILS_WITHOUT_FEATURED)},
        status=CampaignStatus.SCHEDULED,
    )

    result = send_campaign(campaign=news)

    assert result.failed == 2 and result.sent == 0 and result.finished
    assert not Message.objects.filter(status=MessageStatus.QUEUED).exists()
    news.refresh_from_db()
    assert news.status == CampaignStatus.SENT
    assert last_note(news) == "No message sent: all 2 failed (each message says why)"


def test_one_failing_campaign_does_not_keep_later_due_campaigns_from_going_out(
    settings,
):
    customer = person("Ada", phone=True)
    grant(customer, "email", "sms")
    broken = campaign(
        rules=EVERYONE,
        templates={"email": ("Hello", FAILS_WITHOUT_FEATURED)},
        status=CampaignStatus.SCHEDULED,
    )
    texts = campaign(rules=EVERYONE, channels=("sms",), status=CampaignStatus.SCHEDULED)
    good = campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED)
    settings.OMNISTORE_SMS_BACKEND = MISSING_BACKEND  # sending texts raises

    out = StringIO()
    call_command("send_due_campaigns", stdout=out)

    assert f"[{broken.pk}, {good.pk}]" in out.getvalue()
    assert Message.objects.get(campaign=broken).status == MessageStatus.FAILED
    assert Message.objects.get(campaign=good).status == MessageStatus.SENT
    assert [m.to for m in mail.outbox] == [[customer.email]]
    texts.refresh_from_db()  # left for the next pass, its message still queued
    assert texts.status == CampaignStatus.SENDING and texts.lease_until is None
    assert Message.objects.get(campaign=texts).status == MessageStatus.QUEUED

    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    assert send_due_campaigns() == [texts.pk]
    assert Message.objects.get(campaign=texts).status == MessageStatus.SENT


def test_the_beat_task_starts_every_due_campaign_when_one_fails(settings, tasks_inline):
    customer = person("Ada", phone=True)
    grant(customer, "email", "sms")
    texts = campaign(rules=EVERYONE, channels=("sms",), status=CampaignStatus.SCHEDULED)
    good = campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED)
    settings.OMNISTORE_SMS_BACKEND = MISSING_BACKEND

    assert tasks.send_due_campaigns() == 2

    assert Message.objects.get(campaign=good).status == MessageStatus.SENT
    assert Message.objects.get(campaign=texts).status == MessageStatus.QUEUED


def test_a_send_failing_on_its_data_is_not_taken_for_a_broker_outage(
    caplog, django_capture_on_commit_callbacks, tasks_inline
):
    grant(person("Ada"), "email")
    news = campaign(rules=EVERYONE, templates={"email": ("Hi", FAILS_WITHOUT_FEATURED)})

    with (
        caplog.at_level(logging.WARNING, logger="campaigns"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        schedule_campaign(campaign=news)  # sends at once, here

    assert "broker" not in caplog.text
    assert Message.objects.get().status == MessageStatus.FAILED
    news.refresh_from_db()
    assert news.status == CampaignStatus.SENT


def test_a_send_started_at_once_that_raises_is_logged_as_such_not_as_the_broker(
    caplog, django_capture_on_commit_callbacks, settings, tasks_inline
):
    grant(person("Ada", phone=True), "sms")
    texts = campaign(rules=EVERYONE, channels=("sms",))
    settings.OMNISTORE_SMS_BACKEND = MISSING_BACKEND

    with (
        caplog.at_level(logging.WARNING, logger="campaigns"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        schedule_campaign(campaign=texts)

    assert "broker" not in caplog.text
    assert f"sending campaign {texts.pk} failed" in caplog.text
    assert Message.objects.get().status == MessageStatus.QUEUED  # sent next pass


def test_a_template_calling_methods_that_change_data_is_refused_on_save():
    sample = copy.deepcopy(SAMPLE_CONTEXT)

    errors = template_errors(
        channel="email", subject="Hi", body="{{ featured.pop.name }} {{ store.clear }}"
    )
    refused = template_errors(
        channel="email",
        subject="{% with s=store %}{{ s.update }}{% endwith %}",
        body="{% for i in featured %}{{ i.setdefault }}{% endfor %}",
    )

    assert errors["body"] == [
        "A message reads its data and never changes it: .pop is not allowed.",
        "A message reads its data and never changes it: .clear is not allowed.",
    ]
    assert ".update is not allowed" in refused["subject"][0]
    assert ".setdefault is not allowed" in refused["body"][0]
    assert sample == SAMPLE_CONTEXT
    # Methods that change nothing still read as before; a quoted text is no path.
    body = "{{ first_name.upper }} {{ discount_code|default:'.pop' }}"
    assert template_errors(channel="email", subject="Hi", body=body) == {}


def test_a_template_cannot_change_the_data_it_is_made_from():
    template = compile_template(
        channel="sms",
        subject="",
        body="{{ featured.pop.name }}{{ store.clear }}{{ store.update }}"
        "{{ featured.0.name }} at {{ store.name }}",
    )
    sample = copy.deepcopy(SAMPLE_CONTEXT)

    first = render_message(template, SAMPLE_CONTEXT, message_id=1)
    second = render_message(template, SAMPLE_CONTEXT, message_id=2)

    assert first.text == second.text == "Linen shirt at Milano Centro"
    assert sample == SAMPLE_CONTEXT


def test_recipients_of_one_shop_each_get_its_data_whatever_the_template_does():
    shop = LocationFactory(name="Brera")
    people = [person("Ada"), person("Bea")]
    for customer in people:
        update_profile(customer=customer, preferred_store=shop.pk)
        grant(customer, "email")
    news = campaign(
        rules=EVERYONE,
        templates={"email": ("Hi", "{{ store.clear }}Hi from {{ store.name }}")},
    )
    # Saved before templates were checked for it: the send still cannot change data.
    Campaign.objects.filter(pk=news.pk).update(status=CampaignStatus.SCHEDULED)

    send_campaign(campaign=news)

    assert len(mail.outbox) == 2
    assert all(m.body.startswith("Hi from Brera") for m in mail.outbox)


def email(body: str, *, message_id: int = 7):
    template = compile_template(channel="email", subject="Hi", body=body)
    return render_message(template, SAMPLE_CONTEXT, message_id=message_id)


@pytest.mark.parametrize(
    "body",
    [
        "Hi {{ first_name }} {# unsubscribe_url #}",
        "Hi{% if 0 %} {{ unsubscribe_url }}{% endif %}",
        "Hi{% comment %}{{ unsubscribe_url }}{% endcomment %}",
        "Hi, unsubscribe_url is where you leave",
    ],
)
def test_an_email_not_showing_its_unsubscribe_link_gets_the_line(body):
    link = tracking.unsubscribe_url(7)

    rendered = email(body)

    assert rendered.text.endswith(f"Unsubscribe: {link}")
    assert f'<a href="{escape(link)}">' in rendered.html


@pytest.mark.parametrize(
    "body",
    [
        "Leave us: {{ unsubscribe_url }}",
        "{% with leave=unsubscribe_url %}Leave us: {{ leave }}{% endwith %}",
    ],
)
def test_an_email_showing_its_unsubscribe_link_carries_it_once_as_a_link(body):
    link = tracking.unsubscribe_url(7)

    rendered = email(body)

    assert rendered.text == f"Leave us: {link}"
    assert f'Leave us: <a href="{escape(link)}">' in rendered.html


SIX_LINKS = "Hi {{ first_name }}! " + " ".join(
    f"https://shop.example.org/new/{n}" for n in range(6)
)


def test_an_sms_is_checked_on_save_with_its_links_as_long_as_sent():
    errors = template_errors(channel="sms", subject="", body=SIX_LINKS)

    assert errors["body"][0].startswith("An SMS is at most 612 characters;")
    short = "Hi {{ first_name }}: {{ shop_url }}/new https://shop.example.org/a"
    assert template_errors(channel="sms", subject="", body=short) == {}


def test_an_sms_over_the_limit_as_sent_fails_alone():
    shop = LocationFactory(address="Via " + "lunga " * 40, opening_hours="9-19 " * 39)
    far, near = person("Ada", phone=True), person("Bea", phone=True)
    update_profile(customer=far, preferred_store=shop.pk)
    for customer in (far, near):
        grant(customer, "sms")
    body = (
        "Hi {{ first_name }}, {{ store.address }} {{ store.opening_hours }} "
        "https://shop.example.org/a https://shop.example.org/b"
    )
    texts = campaign(
        rules=EVERYONE,
        channels=("sms",),
        templates={"sms": ("", body)},
        status=CampaignStatus.SCHEDULED,
    )

    result = send_campaign(campaign=texts)

    assert result.sent == 1 and result.failed == 1
    assert [m.to for m in MemoryBackend.outbox] == [near.phone]
    failed = Message.objects.get(customer=far)
    assert failed.status == MessageStatus.FAILED
    assert failed.error.startswith("An SMS is at most 612 characters;")
