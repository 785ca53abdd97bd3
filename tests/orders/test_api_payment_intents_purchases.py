"""Buy now and e-gift cards paid by card with Stripe (against a local fake Stripe):
`POST /checkout/payment-intent/` prices the buy now's lines or the card's amount and
answers an intent with a secret `reference`; the purchase pays only with the intent
made with the reference it sends back, never with another cart's, another
purchase's or an untagged one. The test provider keeps taking its tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import StockLevel
from orders.models import GiftCard, Order, Payment, ProcessedWebhookEvent
from tests.orders.factories import ADDRESS, shop, stocked, warehouse
from tests.orders.test_api_payments_stripe import confirmed_intent, pickup_cart

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

INTENT = "/api/v1/checkout/payment-intent/"
BUY_NOW = "/api/v1/checkout/buy-now/"
E_GIFT = "/api/v1/gift-cards/purchase/"


def buy_now_body(item, **more):
    return {
        "fulfilment": "delivery",
        "address": ADDRESS,
        "email": "ada@example.com",
        "lines": [{"variant": item.pk, "quantity": 2}],
        **more,
    }


def started(body, client=None):
    answer = (client or APIClient()).post(INTENT, body, format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def buy_now(body, token, reference=None):
    payment = {"method": "card_online", "token": token}
    if reference is not None:
        payment["reference"] = reference
    return APIClient().post(BUY_NOW, {**body, "payment": payment}, format="json")


def e_gift_body(token, reference=None, amount="50.00"):
    payment = {"method": "card_online", "token": token}
    if reference is not None:
        payment["reference"] = reference
    return {
        "amount": amount,
        "country": "IT",
        "recipient_name": "Lea",
        "recipient_email": "lea@example.com",
        "send_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "email": "ada@example.com",
        "payment": payment,
    }


def buy_e_gift(token, reference=None, amount="50.00"):
    return APIClient().post(
        E_GIFT, e_gift_body(token, reference, amount), format="json"
    )


def test_buy_now_is_paid_with_the_intent_made_for_its_lines(fake_stripe):
    item = stocked(warehouse(), 5, price="34.95")
    body = buy_now_body(item)

    intent = started(body)

    assert (intent["amount"], intent["currency"]) == ("69.90", "EUR")
    assert intent["capture_method"] == "automatic" and intent["reference"]
    tag = fake_stripe.intents[intent["id"]]["metadata"]["omnistore_cart"]
    assert tag.startswith("ref-") and intent["reference"] not in tag
    fake_stripe.confirm(intent["id"])
    placed = buy_now(body, intent["id"], intent["reference"])
    assert placed.status_code == 201, placed.json()
    payment = Payment.objects.get()
    assert (payment.provider, payment.provider_reference) == ("stripe", intent["id"])
    assert str(payment.amount) == "69.90"


def test_each_buy_now_intent_is_a_new_one_with_its_own_reference(fake_stripe):
    body = buy_now_body(stocked(warehouse(), 5, price="10.00"))
    first, second = started(body), started(body)
    assert first["id"] != second["id"]
    assert first["reference"] != second["reference"]


def test_buy_now_refuses_an_intent_not_made_with_its_reference(fake_stripe):
    item = stocked(warehouse(), 5, price="15.00")
    body = buy_now_body(item)
    cart_client, cart_body = pickup_cart(price="30.00")
    for_a_cart = confirmed_intent(fake_stripe, cart_client, cart_body)
    untagged = fake_stripe.intent(3000, status="succeeded", capture_method="automatic")
    other = started(body)
    fake_stripe.confirm(other["id"])
    mine = started(body)

    answers = [
        buy_now(body, for_a_cart["id"], mine["reference"]),
        buy_now(body, untagged["id"], mine["reference"]),
        buy_now(body, other["id"], mine["reference"]),
    ]

    for answer in answers:
        assert answer.status_code == 402, answer.json()
        assert answer.json()["code"] == "payment_not_for_this_purchase"
    missing = buy_now(body, untagged["id"])
    assert missing.status_code == 400, missing.json()
    assert missing.json()["code"] == "payment_reference_required"
    assert missing.json()["extra"]["payment"] == {
        "reference": ["Required: the `reference` the payment intent answered."]
    }
    assert not Order.objects.exists()
    # None of them was given back: none was made for this purchase.
    assert fake_stripe.refunds == {}
    assert not ProcessedWebhookEvent.objects.exists()


def test_a_buy_now_refused_after_its_payment_was_confirmed_gives_it_back(
    fake_stripe,
):
    item = stocked(warehouse(), 5, price="15.00")
    body = buy_now_body(item)
    intent = started(body)
    fake_stripe.confirm(intent["id"])
    StockLevel.objects.filter(variant=item).update(on_hand=1)

    refused = buy_now(body, intent["id"], intent["reference"])

    assert refused.status_code == 409, refused.json()
    assert "30.00 EUR paid by card was refunded" in refused.json()["message"]
    [refund] = fake_stripe.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (intent["id"], 3000)


def test_an_e_gift_card_is_paid_with_the_intent_made_for_it(fake_stripe):
    intent = started({"gift_card": {"amount": "50.00", "country": "IT"}})

    assert (intent["amount"], intent["currency"]) == ("50.00", "EUR")
    assert intent["capture_method"] == "automatic" and intent["reference"]
    fake_stripe.confirm(intent["id"])
    bought = buy_e_gift(intent["id"], intent["reference"])
    assert bought.status_code == 201, bought.json()
    assert GiftCard.objects.get().initial_amount == 50
    assert Payment.objects.get().provider_reference == intent["id"]


def test_an_e_gift_card_refuses_an_intent_not_made_with_its_reference(fake_stripe):
    cart_client, cart_body = pickup_cart(price="50.00")
    for_a_cart = confirmed_intent(fake_stripe, cart_client, cart_body)
    untagged = fake_stripe.intent(5000, status="succeeded", capture_method="automatic")
    gift = {"gift_card": {"amount": "50.00", "country": "IT"}}
    other, mine = started(gift), started(gift)
    fake_stripe.confirm(other["id"])

    for token in (for_a_cart["id"], untagged["id"], other["id"]):
        answer = buy_e_gift(token, mine["reference"])
        assert answer.status_code == 402, answer.json()
        assert answer.json()["code"] == "payment_not_for_this_purchase"
    missing = buy_e_gift(untagged["id"])
    assert missing.status_code == 400, missing.json()
    assert missing.json()["code"] == "payment_reference_required"
    assert not GiftCard.objects.exists() and not Order.objects.exists()
    # None of them was given back: none was made for this purchase.
    assert fake_stripe.intents[for_a_cart["id"]]["status"] == "requires_capture"
    assert fake_stripe.refunds == {}


def test_an_e_gift_card_bought_for_another_amount_gives_its_payment_back(
    fake_stripe,
):
    intent = started({"gift_card": {"amount": "50.00", "country": "IT"}})
    fake_stripe.confirm(intent["id"])

    refused = buy_e_gift(intent["id"], intent["reference"], amount="80.00")

    assert refused.status_code == 402, refused.json()
    assert refused.json()["code"] == "payment_amount_mismatch"
    assert "50.00 EUR paid by card was refunded" in refused.json()["message"]
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [5000]


def test_an_e_gift_intent_is_refused_as_the_purchase_would_be(fake_stripe):
    client = APIClient()
    nowhere = client.post(
        INTENT, {"gift_card": {"amount": "50.00", "country": "ZZ"}}, format="json"
    )
    too_little = client.post(
        INTENT, {"gift_card": {"amount": "1.00", "country": "IT"}}, format="json"
    )
    assert nowhere.status_code == 400, nowhere.json()
    assert "country" in nowhere.json()["extra"]["gift_card"]
    assert too_little.status_code == 400, too_little.json()
    assert "amount" in too_little.json()["extra"]["gift_card"]
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []


def test_the_test_provider_takes_buy_now_and_e_gift_intents_and_its_tokens():
    """The demo's provider: the same calls, and its plain tokens still pay."""
    store = shop()
    item = stocked(store, 9, price="12.00")
    body = buy_now_body(item, fulfilment="pickup", store=store.pk)
    body.pop("address")
    intent = started(body)
    assert intent["provider"] == "test" and intent["reference"]
    assert buy_now(body, intent["id"], intent["reference"]).status_code == 201
    assert buy_now(body, "tok_visa").status_code == 201
    assert buy_now(body, "tok_declined").status_code == 402
    gift = started({"gift_card": {"amount": "20.00", "country": "IT"}})
    assert buy_e_gift(gift["id"], gift["reference"], "20.00").status_code == 201
    assert buy_e_gift("tok_visa").status_code == 201


@pytest.mark.parametrize("body", ["null", '"gift_card"', "[]", "7"])
def test_a_payment_intent_body_that_is_not_an_object_is_a_400(body):
    answer = APIClient().post(INTENT, body, content_type="application/json")
    assert answer.status_code == 400, answer.content


@pytest.mark.parametrize(
    "more",
    [
        {"lines": [{"variant": 1, "quantity": 1}]},
        {"fulfilment": "delivery", "address": ADDRESS},
        {"fulfilment": "pickup", "store": 1},
        {"tenders": [{"type": "store_credit", "amount": "5.00"}]},
        {"email": "ada@example.com"},
        {"discount_code": "WELCOME10"},
    ],
)
def test_an_e_gift_card_is_paid_alone_not_with_a_checkouts_fields(fake_stripe, more):
    """A body naming a gift card and what a checkout or buy now asks for is not
    priced as one of them: a 400 on `gift_card`, no intent made."""
    item = stocked(warehouse(), 5, price="20.00")
    if "lines" in more:
        more = {"lines": [{"variant": item.pk, "quantity": 1}]}
    body = {"gift_card": {"amount": "50", "country": "IT"}, **more}

    answer = APIClient().post(INTENT, body, format="json")

    assert answer.status_code == 400, answer.json()
    [said] = answer.json()["extra"]["gift_card"]
    assert said.startswith("An e-gift card is paid on its own")
    for name in more:
        assert f"`{name}`" in said
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []


def test_an_intent_says_which_purchase_it_was_made_for(fake_stripe):
    body = buy_now_body(stocked(warehouse(), 5, price="15.00"))
    buying = started(body)
    gift = started({"gift_card": {"amount": "30.00", "country": "IT"}})

    made_for = fake_stripe.intents[buying["id"]]["metadata"]["omnistore_purchase"]
    assert made_for.startswith("buy_now:") and len(made_for) > len("buy_now:")
    assert fake_stripe.intents[gift["id"]]["metadata"] == {
        "omnistore_cart": fake_stripe.intents[gift["id"]]["metadata"]["omnistore_cart"],
        "omnistore_purchase": "e_gift",
    }


def test_buy_now_refuses_an_e_gift_cards_intent_of_the_same_amount(fake_stripe):
    body = buy_now_body(stocked(warehouse(), 5, price="15.00"))
    total = started(body)["amount"]
    gift = started({"gift_card": {"amount": total, "country": "IT"}})
    fake_stripe.confirm(gift["id"])

    refused = buy_now(body, gift["id"], gift["reference"])

    assert refused.status_code == 402, refused.json()
    assert refused.json()["code"] == "payment_not_for_this_purchase"
    # Made with the reference sent: given back, as the purchase it was sent for
    # was refused.
    assert f"{total} EUR paid by card was refunded" in refused.json()["message"]
    assert not Order.objects.exists()


def test_an_e_gift_card_refuses_a_buy_nows_intent_of_the_same_amount(fake_stripe):
    body = buy_now_body(stocked(warehouse(), 5, price="25.00"))
    buying = started(body)
    fake_stripe.confirm(buying["id"])

    refused = buy_e_gift(buying["id"], buying["reference"], amount=buying["amount"])

    assert refused.status_code == 402, refused.json()
    assert refused.json()["code"] == "payment_not_for_this_purchase"
    assert not GiftCard.objects.exists() and not Order.objects.exists()


@pytest.mark.parametrize("change", ["other_lines", "other_address"])
def test_a_buy_now_intent_pays_only_the_buy_now_it_priced(fake_stripe, change):
    """Another buy now of the same total (other items, or sent elsewhere) is not
    what the intent was made for."""
    depot = warehouse()
    pair = stocked(depot, 5, price="15.00")
    body = buy_now_body(pair)
    intent = started(body)
    fake_stripe.confirm(intent["id"])
    if change == "other_lines":
        one = stocked(depot, 5, price="30.00")
        other = {**body, "lines": [{"variant": one.pk, "quantity": 1}]}
    else:
        other = {**body, "address": {**ADDRESS, "line1": "Via Roma 2"}}
    assert started(other)["amount"] == intent["amount"]  # the same total

    refused = buy_now(other, intent["id"], intent["reference"])

    assert refused.status_code == 402, refused.json()
    assert refused.json()["code"] == "payment_not_for_this_purchase"
    assert not Order.objects.exists()
