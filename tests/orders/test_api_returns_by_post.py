"""Returns by post: a return started online tells the customer both ways to send the
items back, to any shop with the code, or by post to the returns location of the
order's market (its warehouse) with the code written on the parcel. A market without
a warehouse with an address offers the shops only, never a blank address."""

import pytest
import yaml
from django.core import mail
from django.core.management import call_command

from inventory.models import Market
from orders.services.fulfilment import mark_delivered, mark_picked, ship_order
from orders.services.refunds import receive_return
from tests.factories import StaffFactory
from tests.orders.factories import (
    deliver_outbox,
    delivery_order,
    in_francs,
    shop,
    stocked,
    warehouse,
)
from tests.orders.returns_helpers import (
    api_client_for,
    collected_order,
    counter_sale,
    shopper,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

PIACENZA = {
    "name": "Piacenza Returns",
    "street": "Via Emilia Parmense 160",
    "postcode": "29122",
    "city": "Piacenza",
    "country": "IT",
}


def piacenza(code="WH01", **kwargs):
    fields = {
        "name": PIACENZA["name"],
        "address": PIACENZA["street"],
        "postcode": PIACENZA["postcode"],
        "city": PIACENZA["city"],
        "country": "IT",
        **kwargs,
    }
    return warehouse(code=code, **fields)


def delivered(source, customer, price="80.00"):
    """A web order delivered to Milano (the EU market) from ``source``."""
    coat = stocked(source, 3, price=price)
    order = delivery_order(lines=[(coat, 1)], customer=customer)
    mark_picked(order=order)
    ship_order(order=order)
    return mark_delivered(order=order)


def start(client, order, **fields):
    response = client.post(
        "/api/v1/returns/",
        {
            **fields,
            "order": order.number,
            "lines": [
                {
                    "order_line": order.lines.get().pk,
                    "quantity": 1,
                    "reason": "too_big",
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_return_started_online_says_where_to_post_it():
    user, customer = shopper()
    order = delivered(piacenza(), customer)

    body = start(api_client_for(user), order)

    assert body["post_to"] == PIACENZA
    said = body["instructions"]
    assert "to any of our shops" in said
    assert (
        f"Or post them to Piacenza Returns, Via Emilia Parmense 160, 29122 Piacenza, "
        f"IT, with {body['code']} written on the parcel" in said
    )
    again = api_client_for(user).get(f"/api/v1/returns/{body['code']}/").json()
    assert again["post_to"] == PIACENZA


def test_the_return_email_gives_the_shop_and_the_postal_address():
    user, customer = shopper()
    order = delivered(piacenza(), customer)
    code = start(api_client_for(user), order)["code"]

    deliver_outbox()

    sent = next(m for m in mail.outbox if m.subject.startswith("Your return"))
    assert "Bring the items to any of our shops" in sent.body
    assert (
        "Or post them to:\n  Piacenza Returns\n  Via Emilia Parmense 160\n"
        "  29122 Piacenza\n  IT\n"
        f"Write {code} on the parcel" in sent.body
    )
    html = sent.alternatives[0][0]
    assert "Via Emilia Parmense 160<br>29122 Piacenza<br>IT" in html
    assert f"Write <strong>{code}</strong> on the parcel" in html


def test_a_sale_paid_in_cash_is_posted_only_for_store_credit():
    """A warehouse has no till: cash goes back at a shop's counter, so a return to
    be refunded to a cash payment names no address; as store credit it may be
    posted."""
    piacenza()
    milano = shop(name="Milano Duomo")
    associate = StaffFactory(store=milano)
    open_counter_till(associate)
    user, customer = shopper()
    coat = stocked(milano, 3, price="80.00")
    sale = counter_sale(
        store=milano,
        lines=[(coat, 2)],
        staff=associate,
        customer=customer,
        tenders=[("cash", None)],
    )
    client = api_client_for(user)

    cash_back = start(client, sale)
    as_credit = start(client, sale, refund_method="store_credit")

    assert cash_back["post_to"] is None
    assert "post them" not in cash_back["instructions"]
    assert as_credit["post_to"] == PIACENZA


def test_a_market_without_a_warehouse_address_offers_only_the_shops():
    """The EU's warehouse has no address; the Swiss one has, but it is another
    market's: the customer is sent to a shop, and no address is made up."""
    user, customer = shopper()
    order = delivered(warehouse(code="WH01", address="", postcode=""), customer)
    piacenza(code="WH00", country="CH", city="Chiasso", postcode="6830")

    body = start(api_client_for(user), order)

    assert body["post_to"] is None
    assert "to any of our shops" in body["instructions"]
    assert "post" not in body["instructions"]
    deliver_outbox()
    sent = next(m for m in mail.outbox if m.subject.startswith("Your return"))
    assert "Bring the items to any of our shops" in sent.body
    assert "post them" not in sent.body
    assert "post them" not in sent.alternatives[0][0]


def test_the_market_takes_its_posted_returns_at_one_warehouse_the_same_every_time():
    """Of the market's active warehouses with an address, the first by code: not
    an inactive one, nor one that belongs to another market by its own choice."""
    user, customer = shopper()
    swiss = Market.objects.get(code="CH")
    piacenza(code="WH00", name="Closed Depot", active=False)
    piacenza(code="WH01", name="Lugano Depot", market=swiss)
    order = delivered(piacenza(code="WH03", name="Verona Returns"), customer)
    piacenza(code="WH02")

    body = start(api_client_for(user), order)

    assert body["post_to"] == PIACENZA


def test_a_pickup_posts_to_its_shops_market():
    """Collected at a Zürich shop: the Swiss market's warehouse takes it back."""
    zurich = shop(code="ZH01", name="Zürich Bahnhofstrasse", country="CH")
    piacenza()
    warehouse(
        code="WH09",
        name="Zürich Returns",
        address="Hohlstrasse 500",
        postcode="8048",
        city="Zürich",
        country="CH",
    )
    user, customer = shopper()
    item = in_francs(stocked(zurich, 3, price="80.00"), "84.00")
    order = collected_order(store=zurich, lines=[(item, 1)], customer=customer)

    body = start(api_client_for(user), order)

    assert body["post_to"] == {
        "name": "Zürich Returns",
        "street": "Hohlstrasse 500",
        "postcode": "8048",
        "city": "Zürich",
        "country": "CH",
    }


def test_once_the_items_are_back_there_is_nothing_to_post():
    user, customer = shopper()
    returns_location = piacenza()
    order = delivered(returns_location, customer)
    code = start(api_client_for(user), order)["code"]
    receive_return(
        return_request=code,
        location=returns_location,
        actor=StaffFactory(store=returns_location),
    )

    body = api_client_for(user).get(f"/api/v1/returns/{code}/").json()

    assert body["post_to"] is None
    assert "nothing more to bring or send" in body["instructions"]


def test_the_schema_shows_where_to_post(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schemas = yaml.safe_load(target.read_text())["components"]["schemas"]

    post_to = schemas["ReturnDetailOutput"]["properties"]["post_to"]
    assert post_to["nullable"] is True
    ref = next(part["$ref"] for part in post_to["allOf"]).rsplit("/", 1)[-1]
    assert set(schemas[ref]["properties"]) == {
        "name",
        "street",
        "postcode",
        "city",
        "country",
    }
