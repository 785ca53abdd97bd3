"""Exchanges at the returns desk under what a busy counter sends: the confirmed
review sent twice, the tenders a shop with a card reader takes for the difference
(offered, and a card sent anyway refused at the review), an order in
another currency, a shop's own price list, and a manager's approval."""

import re
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.http import urlencode

from inventory.models import PriceList, PriceListPrice
from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalKind
from omnistore.staff.once import new_token
from orders.models import Order, Return, StoreCreditTransaction
from orders.staff.views.exchanges import review_key
from tests.approvals.helpers import make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import on_hand, shop, stocked
from tests.orders.returns_helpers import collected_order, counter_sale, days_ago
from tests.orders.terminal_helpers import reader
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def torino():
    return shop(code="TO01", name="Torino Porta Nuova")


@pytest.fixture
def associate(torino):
    return StaffFactory(store=torino, first_name="Luca", last_name="Verdi")


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


def exchange_form(order, code, **extra):
    line = order.lines.get()
    return {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": code,
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": "cash",
        **extra,
    }


def reviewed(desk, url, data) -> dict:
    review = desk.post(url, data)
    assert review.status_code == 200, review.content.decode()
    return {**data, "confirm": review.context["review"].key}


def sold_at(store, variant, customer=None, units=1):
    return counter_sale(
        store=store,
        lines=[(variant, units)],
        staff=StaffFactory(store=store),
        customer=customer or make_customer(phone="+393331234567"),
    )


def test_the_confirmed_exchange_sent_twice_is_done_once(desk, torino, associate):
    small = stocked(torino, 5, price="40.00", sku="TEE-S")
    large = stocked(torino, 5, price="45.00", sku="TEE-L")
    order = sold_at(torino, small, units=2)  # a second one could come back
    open_counter_till(associate)
    url = reverse("staff:return_exchange", args=[order.number])
    confirmed = reviewed(desk, url, exchange_form(order, "TEE-L"))

    first = desk.post(url, confirmed)
    again = desk.post(url, confirmed)

    assert first.status_code == 302
    assert again.status_code == 422
    assert "already recorded" in again.content.decode()
    assert Return.objects.count() == 1
    assert Order.objects.exclude(pk=order.pk).count() == 1
    assert on_hand(small, torino) == 4 and on_hand(large, torino) == 4


def offered_tenders(page: str) -> list[tuple[str, bool]]:
    """The "Difference paid by" options as the associate sees them: (value,
    chosen)."""
    select = re.search(r'<select name="tender".*?</select>', page, re.S)
    assert select, "no tender field on the page"
    return [
        (value, bool(chosen))
        for value, chosen in re.findall(
            r'<option value="([^"]*)"( selected)?', select.group(0)
        )
    ]


def test_at_a_shop_with_a_reader_the_difference_is_offered_in_cash_or_gift_card(
    desk, torino
):
    """The reader charges counter sales only: the desk offers cash, chosen, and the
    gift card for the difference, says why there is no card, and offers neither a
    card nor a mobile wallet."""
    small = stocked(torino, 5, price="24.90", sku="TEE-S")
    order = sold_at(torino, small)
    reader(torino)

    page = desk.get(reverse("staff:return_exchange", args=[order.number]))

    assert page.status_code == 200
    html = page.content.decode()
    assert offered_tenders(html) == [("cash", True)]
    assert 'name="gift_card_number"' in html and 'name="gift_card_pin"' in html
    assert "This shop takes cards on its card reader" in html


@pytest.mark.parametrize("tender", ["card_in_store", "mobile_wallet"])
def test_a_card_difference_is_refused_at_the_review_where_the_reader_takes_cards(
    desk, torino, associate, tender
):
    """A card or wallet sent anyway for a difference to pay is refused at the review,
    on the tender, before any review is shown; nothing is booked, and the same
    exchange paid in cash is reviewed and completes."""
    small = stocked(torino, 5, price="24.90", sku="TEE-S")
    large = stocked(torino, 5, price="45.90", sku="TEE-L")
    order = sold_at(torino, small)
    reader(torino)
    url = reverse("staff:return_exchange", args=[order.number])
    form = exchange_form(order, "TEE-L", tender=tender)

    refused = desk.post(url, form)

    assert refused.status_code == 422
    assert "review" not in refused.context
    assert refused.context["form"].errors["tender"] == ["Cash or a gift card here."]
    html = refused.content.decode()
    assert 'data-testid="error-tender"' in html
    assert "take the difference in cash or with a gift card" in html
    assert offered_tenders(html) == [("cash", False)]
    assert not Return.objects.exists()
    assert not StoreCreditTransaction.objects.exists()
    assert not Order.objects.exclude(pk=order.pk).exists()
    assert on_hand(small, torino) == 4 and on_hand(large, torino) == 5

    open_counter_till(associate)
    cash = reviewed(desk, url, {**form, "tender": "cash"})
    assert desk.post(url, cash).status_code == 302
    assert (
        Order.objects.exclude(pk=order.pk)
        .get()
        .payments.filter(method="cash", amount=Decimal("21.00"))
        .exists()
    )


def test_a_card_difference_confirmed_without_its_review_is_refused_too(desk, torino):
    """A confirm made up for a card the review never accepted meets the same
    refusal when the exchange is completed, and nothing is booked."""
    small = stocked(torino, 5, price="24.90", sku="TEE-S")
    stocked(torino, 5, price="45.90", sku="TEE-L")
    order = sold_at(torino, small)
    reader(torino)
    url = reverse("staff:return_exchange", args=[order.number])
    form = exchange_form(order, "TEE-L", tender="card_in_store")
    confirm = review_key(QueryDict(urlencode(form)))

    refused = desk.post(url, {**form, "confirm": confirm})

    assert refused.status_code == 422
    assert refused.context["form"].errors["tender"] == ["Cash or a gift card here."]
    assert not Return.objects.exists()
    assert not Order.objects.exclude(pk=order.pk).exists()


def test_without_a_reader_the_card_is_offered_and_pays_the_difference(desk, torino):
    """A shop with no card reader takes the card at the till as before: card first
    and chosen, cash and mobile wallet beside it."""
    small = stocked(torino, 5, price="24.90", sku="TEE-S")
    stocked(torino, 5, price="45.90", sku="TEE-L")
    order = sold_at(torino, small)
    url = reverse("staff:return_exchange", args=[order.number])

    html = desk.get(url).content.decode()

    assert offered_tenders(html) == [
        ("card_in_store", True),
        ("cash", False),
        ("mobile_wallet", False),
    ]
    assert "This shop takes cards on its card reader" not in html
    confirmed = reviewed(
        desk, url, exchange_form(order, "TEE-L", tender="card_in_store")
    )
    assert desk.post(url, confirmed).status_code == 302
    assert (
        Order.objects.exclude(pk=order.pk)
        .get()
        .payments.filter(method="card_in_store", amount=Decimal("21.00"))
        .exists()
    )


def test_an_even_exchange_needs_no_tender_at_a_shop_with_a_reader(desk, torino):
    small = stocked(torino, 5, price="40.00", sku="TEE-S")
    stocked(torino, 5, price="40.00", sku="TEE-M")
    order = sold_at(torino, small)
    reader(torino)
    url = reverse("staff:return_exchange", args=[order.number])
    confirmed = reviewed(
        desk, url, exchange_form(order, "TEE-M", tender="card_in_store")
    )
    assert desk.post(url, confirmed).status_code == 302


def test_an_order_in_francs_is_not_exchanged_at_a_shop_selling_in_euros(desk, torino):
    zurich = shop(code="ZH01", name="Zürich Bahnhofstrasse", country="CH")
    franc_item = stocked(zurich, 5, price="45.00")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=franc_item,
        price=Decimal("50.00"),
    )
    order = sold_at(zurich, franc_item)
    assert order.currency == "CHF"
    stocked(torino, 5, price="45.00", sku="TEE-L")
    url = reverse("staff:return_exchange", args=[order.number])

    refused = desk.post(url, exchange_form(order, "TEE-L"))

    assert refused.status_code == 422
    assert "paid in CHF and this shop sells in EUR" in refused.content.decode()
    assert not Return.objects.exists()
    assert not StoreCreditTransaction.objects.exists()


def test_a_sale_in_francs_is_refused_at_the_review_with_the_reason(client):
    """Exchanges go through store credit, kept in euros: at a Swiss shop the desk
    says so before anything is confirmed."""
    zurich = shop(code="ZH01", name="Zürich Bahnhofstrasse", country="CH")
    francs = PriceList.objects.get(code="CHF")
    small, large = stocked(zurich, 5, price="40.00"), stocked(zurich, 5, price="40.00")
    for variant, price in ((small, "50.00"), (large, "62.90")):
        PriceListPrice.objects.create(
            price_list=francs, variant=variant, price=Decimal(price)
        )
    order = sold_at(zurich, small)
    client.force_login(StaffFactory(store=zurich))
    url = reverse("staff:return_exchange", args=[order.number])

    refused = client.post(url, exchange_form(order, large.sku))

    assert refused.status_code == 422
    assert "review" not in refused.context
    assert "refund this CHF sale to its payments" in refused.content.decode()
    assert not Return.objects.exists()


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=30)
def test_an_exchange_outside_the_window_waits_for_a_manager_then_completes(
    desk, torino, associate
):
    customer = make_customer(phone="+393331234569")
    small = stocked(torino, 5, price="40.00", sku="TEE-S")
    stocked(torino, 5, price="40.00", sku="TEE-M")
    order = collected_order(
        store=torino, lines=[(small, 1)], customer=customer, when=days_ago(40)
    )
    open_counter_till(associate)
    url = reverse("staff:return_exchange", args=[order.number])
    form = exchange_form(order, "TEE-M", override_reason="Seam opened, manager ok")
    confirmed = reviewed(desk, url, form)

    waiting = desk.post(url, confirmed)

    assert waiting.status_code == 202
    assert "A manager must approve" in waiting.content.decode()
    assert not Return.objects.exists()
    request = Approval.objects.get()
    assert request.kind == ApprovalKind.RETURN_OUTSIDE_WINDOW
    manager = Client()
    manager.force_login(
        make_approver(StaffFactory(store=torino, role=Role.STORE_MANAGER))
    )
    manager.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    done = desk.post(url, {**confirmed, "approval": request.pk})
    assert done.status_code == 302, done.content.decode()
    assert Return.objects.get().override_reason == "Seam opened, manager ok"
    assert Order.objects.exclude(pk=order.pk).count() == 1


def test_a_replacement_not_on_this_shelf_is_said_at_the_review(desk, torino):
    """Taken now, the replacement must be here: the review says so before anything is
    confirmed; the same item picked up at a shop is reviewed, its stock being in the
    network."""
    small = stocked(torino, 5, price="40.00", sku="TEE-S")
    large = stocked(shop(code="MI01"), 3, price="40.00", sku="TEE-L")
    order = sold_at(torino, small)
    url = reverse("staff:return_exchange", args=[order.number])

    refused = desk.post(url, exchange_form(order, "TEE-L"))

    assert refused.status_code == 422
    assert "review" not in refused.context
    page = refused.content.decode()
    assert "Not enough stock for the replacement (TEE-L: 0 available here)" in page
    assert "picked up at a shop" in page
    assert not Return.objects.exists()

    picked_up = exchange_form(order, "TEE-L", fulfilment="pickup", store=torino.pk)
    assert desk.post(url, picked_up).context["review"].out_total == Decimal("40.00")
    too_many = desk.post(url, {**picked_up, "units_1": "4"})
    assert too_many.status_code == 422
    assert "TEE-L: 3 available anywhere" in too_many.content.decode()
    assert on_hand(large, large.stock_levels.get().location) == 3


@override_settings(OMNISTORE_APPROVAL_REFUND_ABOVE=Decimal("150.00"))
def test_an_even_size_swap_asks_no_manager(desk, torino, associate):
    """189.00 back for 189.00 out: nothing leaves as money or store credit, so
    the refund limit is not reached whatever the cardigan costs."""
    small = stocked(torino, 5, price="189.00", sku="CARD-XS")
    stocked(torino, 5, price="189.00", sku="CARD-S")
    order = sold_at(torino, small)
    open_counter_till(associate)
    url = reverse("staff:return_exchange", args=[order.number])
    confirmed = reviewed(desk, url, exchange_form(order, "CARD-S"))

    done = desk.post(url, confirmed)

    assert done.status_code == 302, done.content.decode()
    assert not Approval.objects.exists()
    ret = Return.objects.get()
    assert ret.refund_total == Decimal("189.00")
    assert ret.exchange_order.total == Decimal("189.00")


@override_settings(OMNISTORE_APPROVAL_REFUND_ABOVE=Decimal("150.00"))
def test_a_swap_leaving_credit_over_the_limit_asks_worded_as_an_exchange(
    desk, torino, associate
):
    """189.00 back for a 29.00 scarf leaves 160.00 as store credit: the manager
    reads the exchange and approves the 160.00 it leaves, then it completes."""
    cardigan = stocked(torino, 5, price="189.00", sku="CARD-XS")
    stocked(torino, 5, price="29.00", sku="SCARF-1")
    order = sold_at(torino, cardigan)
    open_counter_till(associate)
    url = reverse("staff:return_exchange", args=[order.number])
    confirmed = reviewed(desk, url, exchange_form(order, "SCARF-1"))

    waiting = desk.post(url, confirmed)

    assert waiting.status_code == 202
    request = Approval.objects.get()
    summary = (
        f"Exchange on order {order.number}: 1 × CARD-XS back (189.00 EUR) for "
        "1 × SCARF-1 (29.00 EUR); 160.00 EUR left as store credit"
    )
    assert (request.kind, request.summary, request.amount) == (
        ApprovalKind.REFUND,
        summary,
        Decimal("160.00"),
    )
    assert summary in waiting.content.decode()
    assert "Refund 189.00" not in waiting.content.decode()
    assert not Return.objects.exists()
    manager = Client()
    manager.force_login(
        make_approver(
            StaffFactory(
                store=torino,
                role=Role.STORE_MANAGER,
                first_name="Marco",
                last_name="Rossi",
            )
        )
    )
    manager.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    done = desk.post(url, {**confirmed, "approval": request.pk})
    assert done.status_code == 302, done.content.decode()
    ret = Return.objects.get()
    assert ret.history.last().note == "Store credit · approved by Marco Rossi"
    assert ret.exchange_order.total == Decimal("29.00")


def test_a_cash_difference_without_an_open_till_is_said_at_the_review(
    desk, torino, associate
):
    """The cash goes into this counter's till: with none open, the review says so
    before anything is confirmed, and nothing is booked."""
    small = stocked(torino, 5, price="24.90", sku="TEE-S")
    large = stocked(torino, 5, price="45.90", sku="TEE-L")
    order = sold_at(torino, small)
    url = reverse("staff:return_exchange", args=[order.number])
    form = exchange_form(order, "TEE-L", tender="cash")

    refused = desk.post(url, form)

    assert refused.status_code == 422
    assert "review" not in refused.context
    assert "till" in refused.content.decode().lower()
    assert not Return.objects.exists()
    assert on_hand(large, torino) == 5

    open_counter_till(associate)
    assert desk.post(url, reviewed(desk, url, form)).status_code == 302
