"""A campaign's messages are checked when the campaign is saved in the admin, by the
rule its sends follow (``campaigns.rendering``): a template that fails on a message,
or a channel chosen with no message written for it, is refused on the page with the
reason, and nothing is saved, rather than the send failing later."""

import pytest

from campaigns.models import Campaign, MessageTemplate
from campaigns.services.campaigns import cancel_campaign
from campaigns.services.segments import create_segment
from omnistore.accounts.models import Role
from tests.campaigns.factories import EVERYONE, campaign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/campaigns/campaign/add/"


@pytest.fixture
def hq(client):
    """Headquarters write the campaigns."""
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


@pytest.fixture
def everyone():
    return create_segment(name="Everyone", rules=EVERYONE)


def campaign_data(segment, channels, templates, **overrides) -> dict:
    data = {
        "name": "Spring news",
        "kind": "broadcast",
        "segment": segment.pk,
        "channels": channels,
        "discount_code": "",
        "send_at_0": "",
        "send_at_1": "",
        "trigger_after": "",
        "templates-TOTAL_FORMS": str(len(templates)),
        "templates-INITIAL_FORMS": "0",
        "history-TOTAL_FORMS": "0",
        "history-INITIAL_FORMS": "0",
        **overrides,
    }
    for n, (channel, subject, body) in enumerate(templates):
        data[f"templates-{n}-channel"] = channel
        data[f"templates-{n}-subject"] = subject
        data[f"templates-{n}-body"] = body
    return data


def template_formset(response):
    assert response.status_code == 200
    (formset,) = [
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.model is MessageTemplate
    ]
    return formset


@pytest.mark.parametrize(
    ("subject", "body", "field", "words"),
    [
        ("Hi", "{{ first_name|ljust:'wide' }}", "body", "invalid literal"),
        (
            "Hi",
            "{% for name, sku in featured %}{{ sku }}{% endfor %}",
            "body",
            "unpack",
        ),
        ("Hi", "{% for n in 5 %}{{ n }}{% endfor %}", "body", "not iterable"),
        ("{{ featured|length|divisibleby:0 }}", "Hello", "subject", "modulo by zero"),
    ],
)
def test_a_template_that_fails_on_a_message_is_refused_at_its_field(
    hq, everyone, subject, body, field, words
):
    response = hq.post(
        ADD, campaign_data(everyone, ["email"], [("email", subject, body)])
    )

    (form,) = template_formset(response).forms
    (error,) = form.errors[field]
    assert error.startswith("Template error when a message is made:")
    assert words in error
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{{ first_name|center:"20000000" }}', "at most 200"),
        ("{{ first_name|rjust:first_name }}", "a number written in the template"),
        ('{% filter ljust:"99999999" %}Hi{% endfilter %}', "at most 200"),
        ('{{ order.total|stringformat:"900000s" }}', "at most 200"),
        (
            "{% for a in featured %}{% for b in featured %}{% for c in featured %}"
            "{{ c.name }}{% endfor %}{% endfor %}{% endfor %}",
            "nest at most 2 deep",
        ),
        ('{% for c in "abcdefghij" %}{{ c }}{% endfor %}', "not over a text"),
        ("{{ first_name" + '|add:"x"' * 9 + " }}", "At most 8 filters"),
        ("x" * 20_001, "at most 20,000 characters"),
    ],
)
def test_a_template_that_would_make_huge_or_slow_messages_is_refused(
    hq, everyone, body, words
):
    response = hq.post(ADD, campaign_data(everyone, ["email"], [("email", "Hi", body)]))

    (form,) = template_formset(response).forms
    assert any(words in error for error in form.errors["body"]), form.errors
    assert not Campaign.objects.exists()


def test_loops_side_by_side_and_small_widths_are_fine(hq, everyone):
    body = (
        "{% for a in featured %}{{ a.name|ljust:20 }}{% endfor %}"
        "{% for a in featured %}{% for b in featured %}{{ b.sku }}{% endfor %}"
        '{% endfor %}{{ order.total|floatformat:2 }} {{ first_name|default:"a|b" }}'
    )
    response = hq.post(ADD, campaign_data(everyone, ["email"], [("email", "Hi", body)]))

    assert response.status_code == 302, template_formset(response).forms[0].errors
    assert MessageTemplate.objects.get().body == body


def test_an_sms_template_that_fails_on_a_message_is_refused_too(hq, everyone):
    response = hq.post(
        ADD,
        campaign_data(everyone, ["sms"], [("sms", "", "{{ first_name|center:'x' }}")]),
    )

    (form,) = template_formset(response).forms
    assert "Template error when a message is made:" in form.errors["body"][0]
    assert not Campaign.objects.exists()


def test_a_channel_chosen_without_its_message_is_refused(hq, everyone):
    response = hq.post(
        ADD,
        campaign_data(everyone, ["email", "sms"], [("email", "Hi", "Hello")]),
    )

    formset = template_formset(response)
    assert formset.non_form_errors() == [
        "Write the SMS message, or untick SMS among the channels."
    ]
    assert not Campaign.objects.exists()

    both = hq.post(
        ADD,
        campaign_data(
            everyone,
            ["email", "sms"],
            [("email", "Hi", "Hello"), ("sms", "", "Hello {{ first_name }}")],
        ),
    )
    assert both.status_code == 302
    saved = Campaign.objects.get()
    assert sorted(saved.templates.values_list("channel", flat=True)) == [
        "email",
        "sms",
    ]
    cancelled = Campaign.objects.create(
        name="Never", segment=everyone, channels=["sms"]
    )
    cancel_campaign(campaign=cancelled)
    untouched = hq.post(  # nothing can be written on it: no message is asked for
        f"/admin/campaigns/campaign/{cancelled.pk}/change/",
        {
            "templates-TOTAL_FORMS": "0",
            "templates-INITIAL_FORMS": "0",
            "history-TOTAL_FORMS": "1",
            "history-INITIAL_FORMS": "1",
            "history-0-id": cancelled.history.get().pk,
            "history-0-campaign": cancelled.pk,
        },
    )
    assert untouched.status_code == 302


def test_deleting_the_message_of_a_chosen_channel_is_refused(hq, everyone):
    news = campaign(rules=EVERYONE, channels=("email",))
    (template,) = news.templates.all()
    data = campaign_data(
        news.segment,
        ["email"],
        [("email", template.subject, template.body)],
        **{
            "templates-INITIAL_FORMS": "1",
            "templates-0-id": template.pk,
            "templates-0-campaign": news.pk,
            "templates-0-DELETE": "on",
        },
    )

    response = hq.post(f"/admin/campaigns/campaign/{news.pk}/change/", data)

    assert template_formset(response).non_form_errors() == [
        "Write the Email message, or untick Email among the channels."
    ]
    assert news.templates.filter(pk=template.pk).exists()
