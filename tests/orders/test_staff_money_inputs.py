"""Every amount typed at the counter is read by one rule: ASCII digits, a point and at
most two decimals. ``1e5``, ``1E2``, ``+10`` and digits of other scripts (Arabic-Indic,
full-width) are form errors, never read as a number: cash in and out, cash tendered,
the till's counts, a counter price."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.staff.once import new_token
from orders.models import CartLine, Order, Register, TillMovement, TillSession
from orders.services.till import open_till
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import shop

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
NOT_AMOUNTS = ["1e5", "1E2", "+10", "١٠", "１０", "10,5", "-5"]


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def register(store):
    return Register.objects.create(location=store, name="Till 1")


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def open_session(associate, register):
    return open_till(register=register, counts={D("50"): 2}, actor=associate)


@pytest.mark.parametrize("typed", NOT_AMOUNTS)
def test_cash_in_and_out_take_digits_only(desk, open_session, typed):
    for kind in ("cash_in", "cash_out"):
        response = desk.post(
            reverse("staff:till_cash"),
            {
                "move-kind": kind,
                "move-amount": typed,
                "move-reason": "Bank",
                "move-once": new_token(),
            },
            **HTMX,
        )
        assert response.status_code == 422
        assert response.context["move_form"].errors["amount"]
    assert not TillMovement.objects.filter(kind__in=["cash_in", "cash_out"]).exists()


def test_cash_in_above_the_limit_is_a_field_error(desk, open_session):
    response = desk.post(
        reverse("staff:till_cash"),
        {
            "move-kind": "cash_in",
            "move-amount": "12345678.90",
            "move-reason": "Bank",
            "move-once": new_token(),
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert response.context["move_form"].errors["amount"]
    assert not TillMovement.objects.filter(kind="cash_in").exists()


@pytest.mark.parametrize("typed", ["1e2", "١٠٠", "１００"])
def test_the_tendered_cash_takes_digits_only(desk, store, open_session, typed):
    item = VariantFactory(sku="BELT", price=D("15.50"))
    stock(item, store, 5)
    desk.post(reverse("staff:sale_add"), {"code": "BELT"}, **HTMX)
    response = desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": typed},
        **HTMX,
    )
    assert response.status_code == 422
    assert "HX-Redirect" not in response
    assert not Order.objects.exists()
    sold = desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": "20"},
        **HTMX,
    )
    assert "HX-Redirect" in sold
    assert Order.objects.get().total == D("15.50")


@pytest.mark.parametrize("typed", ["1e2", "１", "٢"])
def test_the_till_counts_take_digits_only(desk, register, typed):
    response = desk.post(reverse("staff:till_open"), {"count-d_50": typed})
    assert response.status_code == 422
    assert not TillSession.objects.exists()


@pytest.mark.parametrize("typed", ["1e1", "١٠", "１０"])
def test_a_counter_price_takes_digits_only(desk, store, open_session, typed):
    item = VariantFactory(sku="TEE", price=D("29.90"))
    stock(item, store, 5)
    desk.post(reverse("staff:sale_add"), {"code": "TEE"}, **HTMX)
    line = CartLine.objects.get()
    response = desk.post(
        reverse("staff:sale_line_price", args=[line.pk]),
        {"price": typed, "reason": "Loose button"},
        **HTMX,
    )
    assert response.status_code == 422
    line.refresh_from_db()
    assert line.counter_price is None
