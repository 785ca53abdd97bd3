"""Acting for a returns warehouse, the pages of a shop's counter say "not at a
warehouse" and change nothing: no sale is started or rung up there, no till opened,
no pickup handed over, and no exchange made by a form sent by hand."""

from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from omnistore.staff.once import new_token
from orders.models import Cart, Order, Register, Return, TillSession
from orders.services.fulfilment import mark_delivered, mark_picked, ship_order
from orders.staff.views.exchanges import review_key
from tests.factories import StaffFactory
from tests.orders.factories import delivery_order, on_hand, shop, stocked, warehouse
from tests.orders.returns_helpers import shopper

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NOT_HERE = "Not at a warehouse"


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def piacenza():
    return warehouse(
        code="WH01",
        name="Piacenza Returns",
        address="Via Emilia Parmense 160",
        postcode="29122",
        city="Piacenza",
    )


@pytest.fixture
def at_warehouse(client, milano, piacenza):
    """An associate of Milano who works the returns desk at Piacenza, acting there."""
    associate = assign_role(
        user=StaffFactory(store=milano, username="giulia"),
        role=Role.ASSOCIATE,
        shops=[milano, piacenza],
        home=milano,
    )
    client.force_login(associate)
    client.post(reverse("staff:switch_store"), {"store": piacenza.pk})
    assert client.get(reverse("staff:dashboard")).context["staff_store"] == piacenza
    return client


@pytest.mark.parametrize(
    "page, desk",
    [
        ("staff:sale", "The sale at the counter"),
        ("staff:till", "The till"),
        ("staff:pickup_desk", "The pickup desk"),
    ],
)
def test_a_counter_page_says_it_is_not_at_a_warehouse(at_warehouse, page, desk):
    response = at_warehouse.get(reverse(page))

    assert response.status_code == 403
    html = response.content.decode()
    assert NOT_HERE in html
    assert f"{desk} is a shop's: you are working at Piacenza Returns" in html


def orders_menu(page) -> str:
    html = page.content.decode()
    return html.split('<nav class="subnav" aria-label="Orders">')[1].split("</nav>")[0]


def test_the_orders_menu_at_a_warehouse_offers_no_counter_page(at_warehouse, milano):
    """Sale and Pickup desk are left out of the orders menu there, as they are of the
    header; back at a shop they are offered again."""
    menu = orders_menu(at_warehouse.get(reverse("staff:picking")))
    assert f'href="{reverse("staff:picking")}"' in menu
    assert f'href="{reverse("staff:order_search")}"' in menu
    assert f'href="{reverse("staff:sale")}"' not in menu
    assert f'href="{reverse("staff:pickup_desk")}"' not in menu

    at_warehouse.post(reverse("staff:switch_store"), {"store": milano.pk})
    menu = orders_menu(at_warehouse.get(reverse("staff:picking")))
    assert f'href="{reverse("staff:sale")}"' in menu
    assert f'href="{reverse("staff:pickup_desk")}"' in menu


def test_no_sale_is_started_or_rung_up_at_a_warehouse(at_warehouse, piacenza):
    coat = stocked(piacenza, 3, price="80.00", sku="COAT-M")

    scanned = at_warehouse.post(
        reverse("staff:sale_add"), {"code": "COAT-M", "quantity": "1"}, **HTMX
    )
    taken = at_warehouse.post(
        reverse("staff:sale_take"), {"code": "COAT-M", "quantity": "1"}
    )
    card = at_warehouse.post(
        reverse("staff:sale_gift_card_add"), {"amount": "50.00"}, **HTMX
    )
    checkout = at_warehouse.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "tender": "card_in_store"},
        **HTMX,
    )

    assert [r.status_code for r in (scanned, taken, card, checkout)] == [403] * 4
    assert not Cart.objects.exists()
    assert not Order.objects.exists()
    assert on_hand(coat, piacenza) == 3


def test_no_till_is_opened_at_a_warehouse(at_warehouse, piacenza):
    Register.objects.create(location=piacenza, name="Till 1")

    response = at_warehouse.post(
        reverse("staff:till_open"), {"count-d_50": "2"}, **HTMX
    )

    assert response.status_code == 403
    assert not TillSession.objects.exists()


def test_a_hand_made_exchange_is_refused_at_a_warehouse(at_warehouse, piacenza):
    _, customer = shopper()
    coat = stocked(piacenza, 3, price="80.00", sku="COAT-M")
    stocked(piacenza, 3, price="80.00", sku="COAT-L")
    order = delivery_order(lines=[(coat, 1)], customer=customer)
    mark_picked(order=order)
    ship_order(order=order)
    order = mark_delivered(order=order)
    line = order.lines.get()
    form = {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_big",
        f"condition_{line.pk}": "sellable",
        "code_1": "COAT-L",
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": "card_in_store",
    }
    url = reverse("staff:return_exchange", args=[order.number])

    reviewed = at_warehouse.post(url, form)
    key = review_key(QueryDict(urlencode(form)))  # as the review would have shown it
    confirmed = at_warehouse.post(url, {**form, "confirm": key})

    for response in (reviewed, confirmed):
        assert response.status_code == 422
        html = response.content.decode()
        assert "Nothing was exchanged." in html
        assert "A warehouse has no counter" in html
        assert 'data-testid="exchange-review"' not in html
    assert not Return.objects.exists()
    assert Order.objects.get() == order
    assert on_hand(coat, piacenza) == 2  # the delivered one is still out
    assert order.total == Decimal("80.00")


def test_a_basket_left_open_when_the_shop_closed_can_be_cleared_and_left(
    client, milano, piacenza
):
    """Milano closes while a sale is in its basket: the device acts for the
    warehouse, which takes no step of the sale, yet lets the basket go and the
    device switch to a shop."""
    torino = shop(code="TO01", name="Torino")
    associate = assign_role(
        user=StaffFactory(store=piacenza, username="marta"),
        role=Role.ASSOCIATE,
        shops=[piacenza, milano, torino],
        home=piacenza,
    )
    shirt = stocked(milano, 3, price="40.00")
    client.force_login(associate)
    client.post(reverse("staff:switch_store"), {"store": milano.pk})
    client.post(reverse("staff:sale_add"), {"code": shirt.sku, "quantity": 1})
    line = Cart.objects.get().lines.get()
    milano.active = False
    milano.save(update_fields=["active"])

    page = client.get(reverse("staff:sale"))
    price = client.post(
        reverse("staff:sale_line_price", args=[line.pk]),
        {"price": "1.00", "reason": "damaged"},
    )
    phone = client.post(reverse("staff:sale_phone"))

    assert page.status_code == 403
    assert 'data-testid="clear-open-sale"' in page.content.decode()
    assert (price.status_code, phone.status_code) == (403, 403)
    line.refresh_from_db()
    assert line.counter_price is None
    cleared = client.post(reverse("staff:sale_clear"))
    assert cleared.status_code == 302
    assert cleared["Location"] == reverse("staff:dashboard")
    client.post(reverse("staff:switch_store"), {"store": torino.pk})
    assert client.get(reverse("staff:dashboard")).context["staff_store"] == torino


def test_the_item_page_at_a_warehouse_offers_no_sale(at_warehouse, piacenza):
    shirt = stocked(piacenza, 3, price="40.00")

    page = at_warehouse.get(reverse("staff:stock_variant", args=[shirt.pk]))

    assert page.status_code == 200
    assert 'data-testid="add-to-sale"' not in page.content.decode()
