"""The return window runs to the end of its last local day: a sale handed over
early or late in the day is returnable all of the 30th day after it, the refusal
names that day once it has ended, and the returns desk says "Until" that day all
of it. A return started online is brought in until the end of its last day too."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from omnistore.core.exceptions import ReturnNotAllowed
from orders.models import ReturnStatus
from orders.selectors.returns import (
    brought_late,
    return_brought_by,
    return_deadline,
)
from orders.services.refunds import receive_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import (
    api_client_for,
    collected_order,
    counter_sale,
    shopper,
)

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.OMNISTORE_RETURN_WINDOW_DAYS = 30
    settings.OMNISTORE_RETURN_BRING_DAYS = 14


@pytest.fixture
def store():
    return shop(name="Milano Duomo")


@pytest.fixture
def clerk(store):
    return StaffFactory(store=store)


def store_sale(store, clerk, customer, when: datetime):
    return counter_sale(
        store=store,
        lines=[(stocked(store, 3, price="49.90"), 1)],
        staff=clerk,
        customer=customer,
        now=when,
    )


def start_return(order, customer, when: datetime):
    return request_return(
        order=order.number,
        customer=customer,
        channel="app",
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "changed_mind")],
        now=when,
    )


def test_a_sale_handed_over_after_midnight_is_returnable_all_its_last_day(store, clerk):
    _, ada = shopper()
    early = store_sale(store, clerk, ada, rome("2026-11-06T00:30"))
    assert return_deadline(early) == rome("2026-12-06T23:59:59.999999")

    ret = start_return(early, ada, rome("2026-12-06T01:00"))
    assert ret.status == ReturnStatus.REQUESTED

    late = store_sale(store, clerk, ada, rome("2026-11-06T00:30"))
    with pytest.raises(ReturnNotAllowed) as refused:
        start_return(late, ada, rome("2026-12-07T00:00"))
    assert "the 30-day return window closed on 06 Dec 2026" in refused.value.message


def test_a_sale_in_the_evening_is_returnable_to_the_end_of_the_30th_day(store, clerk):
    _, ada = shopper()
    order = store_sale(store, clerk, ada, rome("2026-11-06T18:00"))
    ret = start_return(order, ada, rome("2026-12-06T23:30"))
    assert ret.status == ReturnStatus.REQUESTED


def handed_over_early_30_days_ago(store, clerk, customer):
    """A store sale at one minute past midnight, 30 local days ago."""
    day = timezone.localdate() - timedelta(days=30)
    when = datetime.combine(day, time(0, 1), ROME)
    return store_sale(store, clerk, customer, when)


def test_the_storefront_takes_a_return_on_the_windows_last_day(store, clerk):
    user, ada = shopper()
    order = handed_over_early_30_days_ago(store, clerk, ada)
    line = order.lines.get()

    response = api_client_for(user).post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [{"order_line": line.pk, "quantity": 1, "reason": "too_big"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()


def test_the_desk_says_until_today_all_of_the_last_day(client, store, clerk):
    _, ada = shopper()
    order = handed_over_early_30_days_ago(store, clerk, ada)
    client.force_login(clerk)

    page = client.get(reverse("staff:return_start", args=[order.number]))

    said = page.content.decode()
    assert f"Until {timezone.localdate():%d %b %Y}" in said
    assert 'class="window-late"' not in said


def test_a_return_started_online_is_brought_in_all_of_its_last_day(store, clerk):
    _, ada = shopper()
    order = collected_order(
        store=store,
        lines=[(stocked(store, 3, price="59.90"), 1)],
        customer=ada,
        when=rome("2026-11-01T10:00"),
    )
    ret = start_return(order, ada, rome("2026-11-20T19:00"))
    assert return_brought_by(ret) == rome("2026-12-04T23:59:59.999999")

    assert not brought_late(ret, rome("2026-12-04T23:00"))
    assert brought_late(ret, rome("2026-12-05T00:00"))
    ret = receive_return(
        return_request=ret, location=store, actor=clerk, now=rome("2026-12-04T23:00")
    )
    assert ret.status == ReturnStatus.RECEIVED
    assert ret.override_reason == ""
