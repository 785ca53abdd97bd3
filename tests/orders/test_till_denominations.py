"""A drawer is counted in its own money: a Swiss shop's till in francs' notes and
coins (a 1000 note, no 500 note, no cent coins), a euro shop's in euros'; a count
holding another money's note is refused and opens or closes nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.exceptions import ValidationFailed
from orders.models import Register, TillSession, TillSessionStatus
from orders.services.till import close_till, open_till
from tests.factories import StaffFactory
from tests.orders.factories import shop

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def zurich():
    store = shop(code="ZH01", country="CH", city="Zürich")
    return store, Register.objects.create(location=store, name="Kasse 1")


def test_the_swiss_till_page_counts_francs(client, zurich):
    store, _ = zurich
    client.force_login(StaffFactory(store=store))

    page = client.get(reverse("staff:till")).content.decode()

    assert 'name="count-d_1000"' in page and 'name="count-d_0_05"' in page
    assert 'name="count-d_500"' not in page and 'name="count-d_0_01"' not in page


def test_a_float_counted_in_francs_opens_the_swiss_till(client, zurich):
    store, register = zurich
    client.force_login(StaffFactory(store=store))

    response = client.post(
        reverse("staff:till_open"), {"count-d_1000": "1", "count-d_0_05": "3"}
    )

    assert response.status_code == 302
    session = TillSession.objects.get(register=register)
    assert (session.currency, session.opening_float) == ("CHF", D("1000.15"))
    assert session.opening_count == {"1000": 1, "0.05": 3}


def test_the_euro_till_page_still_counts_euros(client):
    milano = shop(code="MI01")
    Register.objects.create(location=milano, name="Till 1")
    client.force_login(StaffFactory(store=milano))

    page = client.get(reverse("staff:till")).content.decode()

    assert 'name="count-d_500"' in page and 'name="count-d_0_01"' in page
    assert 'name="count-d_1000"' not in page


def test_a_euro_note_in_a_franc_count_is_refused(zurich):
    store, register = zurich
    clerk = StaffFactory(store=store)

    with pytest.raises(ValidationFailed) as refused:
        open_till(register=register, counts={D("500"): 1}, actor=clerk)
    assert refused.value.code == "not_a_denomination"
    assert "500 is not a note or coin of CHF" in refused.value.message
    assert not TillSession.objects.exists()

    session = open_till(register=register, counts={D("100"): 2}, actor=clerk)
    with pytest.raises(ValidationFailed):
        close_till(session=session, counts={D("0.01"): 20000}, actor=clerk)
    session.refresh_from_db()
    assert session.status == TillSessionStatus.OPEN
