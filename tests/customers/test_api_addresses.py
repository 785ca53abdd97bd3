"""Saved delivery addresses through /me/addresses/: a customer keeps a small book of
their own addresses, with exactly one default, and reaches no one else's."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Address, Customer, CustomerEvent
from customers.services.addresses import MAX_ADDRESSES
from customers.services.erasure import erase_customer
from tests.customers.factories import CustomerUserFactory
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/addresses/"
HOME = {
    "label": "Home",
    "name": "Nora Galli",
    "line1": "Via Torino 1",
    "city": "Milano",
    "postcode": "20123",
    "country": "it",
    "phone": "+39 333 222 1111",
}
OFFICE = {
    "label": "Office",
    "line1": "Corso Como 10",
    "city": "Milano",
    "postcode": "20154",
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def listed(client) -> list[dict]:
    response = client.get(URL)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def defaults(client) -> list[str]:
    return [a["label"] for a in listed(client) if a["is_default"]]


def test_the_first_address_saved_is_the_default_and_is_read_back_as_sent():
    user = CustomerUserFactory()
    client = client_for(user)

    response = client.post(URL, HOME, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "label": "Home",
        "name": "Nora Galli",
        "line1": "Via Torino 1",
        "line2": "",
        "city": "Milano",
        "postcode": "20123",
        "country": "IT",
        "phone": "+39 333 222 1111",
        "is_default": True,
    }
    assert client.get(f"{URL}{body['id']}/").json() == body
    assert Address.objects.get().customer.user == user


def test_the_list_shows_the_default_first_and_is_paginated():
    client = client_for(CustomerUserFactory())
    client.post(URL, HOME, format="json")
    client.post(URL, {**OFFICE, "is_default": True}, format="json")
    client.post(URL, {**OFFICE, "label": "Parents"}, format="json")

    response = client.get(URL)

    assert response.json()["count"] == 3
    assert [(a["label"], a["is_default"]) for a in response.json()["results"]] == [
        ("Office", True),
        ("Home", False),
        ("Parents", False),
    ]


def test_the_same_address_sent_twice_is_saved_once_and_answered_200():
    client = client_for(CustomerUserFactory())
    first = client.post(URL, HOME, format="json").json()
    client.post(URL, OFFICE, format="json")

    again = client.post(URL, HOME, format="json")
    made_default = client.post(URL, {**OFFICE, "is_default": True}, format="json")

    assert again.status_code == 200 and again.json() == first
    assert made_default.status_code == 200
    assert made_default.json()["is_default"] is True
    assert [a["label"] for a in listed(client)] == ["Office", "Home"]
    assert defaults(client) == ["Office"]


def test_the_same_street_without_the_optional_fields_is_another_address():
    """Mum's address with her name and phone is saved; the same street sent without
    a label, name or phone is a new address of its own, not Mum's answered back."""
    client = client_for(CustomerUserFactory())
    street = {"line1": "Via Verdi 3", "city": "Roma", "postcode": "00185"}
    mum = client.post(
        URL,
        {**street, "label": "Mum", "name": "Anna Hacker", "phone": "+39 06 555 0101"},
        format="json",
    )
    assert mum.status_code == 201, mum.json()

    bare = client.post(URL, street, format="json")
    bare_again = client.post(URL, street, format="json")

    assert bare.status_code == 201, bare.json()
    body = bare.json()
    assert body["id"] != mum.json()["id"]
    assert (body["label"], body["name"], body["phone"]) == ("", "", "")
    assert bare_again.status_code == 200 and bare_again.json()["id"] == body["id"]
    assert sorted(a["label"] for a in listed(client)) == ["", "Mum"]
    assert Address.objects.get(pk=mum.json()["id"]).name == "Anna Hacker"


def test_making_an_address_the_default_leaves_it_the_only_one():
    client = client_for(CustomerUserFactory())
    client.post(URL, HOME, format="json")
    office = client.post(URL, OFFICE, format="json").json()
    assert office["is_default"] is False

    response = client.patch(
        f"{URL}{office['id']}/", {"is_default": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["is_default"] is True
    assert defaults(client) == ["Office"]


def test_the_default_cannot_be_unset_without_choosing_another():
    client = client_for(CustomerUserFactory())
    home = client.post(URL, HOME, format="json").json()

    response = client.patch(f"{URL}{home['id']}/", {"is_default": False}, format="json")

    assert response.status_code == 400
    assert "is_default" in response.json()["extra"]
    assert defaults(client) == ["Home"]


def test_a_change_touches_only_the_fields_sent_and_is_on_the_timeline():
    user = CustomerUserFactory()
    client = client_for(user)
    home = client.post(URL, HOME, format="json").json()

    response = client.patch(
        f"{URL}{home['id']}/", {"line2": "Scala B", "country": "fr"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {**home, "line2": "Scala B", "country": "FR"}
    kinds = list(
        CustomerEvent.objects.filter(customer__user=user)
        .order_by("id")
        .values_list("kind", "data")
    )
    assert [kind for kind, _ in kinds[-2:]] == ["address_added", "address_updated"]
    assert kinds[-1][1] == {
        "address_id": home["id"],
        "fields": ["line2", "country"],
        "before": {"line2": "", "country": "IT"},
        "after": {"line2": "Scala B", "country": "FR"},
    }
    timeline = client.get("/api/v1/me/timeline/").json()["results"]
    assert timeline[0]["kind"] == "address_updated"


def test_removing_the_default_makes_the_oldest_left_the_default():
    user = CustomerUserFactory()
    client = client_for(user)
    home = client.post(URL, HOME, format="json").json()
    client.post(URL, OFFICE, format="json")
    client.post(URL, {**OFFICE, "label": "Parents"}, format="json")

    response = client.delete(f"{URL}{home['id']}/")

    assert response.status_code == 204
    assert [(a["label"], a["is_default"]) for a in listed(client)] == [
        ("Office", True),
        ("Parents", False),
    ]
    assert client.get(f"{URL}{home['id']}/").status_code == 404
    assert CustomerEvent.objects.filter(
        customer__user=user, kind="address_removed", reference_id=str(home["id"])
    ).exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({**HOME, "line1": ""}, "line1"),
        ({k: v for k, v in HOME.items() if k != "city"}, "city"),
        ({k: v for k, v in HOME.items() if k != "postcode"}, "postcode"),
        ({**HOME, "country": "ITA"}, "country"),
        ({**HOME, "country": "1T"}, "country"),
        ({**HOME, "country": "ÍT"}, "country"),
        ({**HOME, "country": "ZZ"}, "country"),
        ({**HOME, "country": "us"}, "country"),
        ({**HOME, "phone": "1" * 21}, "phone"),
        ({**HOME, "postcode": "1" * 21}, "postcode"),
        ({**HOME, "label": "x" * 51}, "label"),
        ({**HOME, "line1": 12}, "line1"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(body, field):
    client = client_for(CustomerUserFactory())

    response = client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["extra"], response.json()
    assert not Address.objects.exists()


def test_a_country_no_market_sells_to_is_refused_as_checkout_would_refuse_it():
    client = client_for(CustomerUserFactory())
    home = client.post(URL, HOME, format="json").json()

    added = client.post(URL, {**OFFICE, "country": "US"}, format="json")
    changed = client.patch(f"{URL}{home['id']}/", {"country": "zz"}, format="json")

    assert added.status_code == changed.status_code == 400
    assert added.json()["extra"] == {"country": ["No market sells to US."]}
    assert changed.json()["country"] == ["No market sells to ZZ."]
    assert list(Address.objects.values_list("country", flat=True)) == ["IT"]
    swiss = client.post(URL, {**OFFICE, "country": "ch"}, format="json")
    assert swiss.status_code == 201 and swiss.json()["country"] == "CH"


def test_a_required_field_cannot_be_emptied_by_a_change():
    client = client_for(CustomerUserFactory())
    home = client.post(URL, HOME, format="json").json()

    response = client.patch(f"{URL}{home['id']}/", {"postcode": " "}, format="json")

    assert response.status_code == 400
    assert "postcode" in response.json()["extra"]
    assert Address.objects.get().postcode == "20123"


HIDDEN = ["Remove the invisible or control characters."]


@pytest.mark.parametrize(
    "field, value",
    [
        ("line1", "Via Torino\u200b 1"),  # a zero-width space
        ("name", "Nora\ufeffGalli"),  # a byte order mark
        ("city", "Mil\u00adano"),  # a soft hyphen
        ("line2", "Scala\x1b B"),  # an escape
        ("phone", "+39 333\x7f 222 1111"),  # a delete
    ],
)
def test_an_invisible_or_control_character_is_refused_as_checkout_refuses_it(
    field, value
):
    """Saved, checkout would refuse it later on ``address_id``."""
    client = client_for(CustomerUserFactory())

    added = client.post(URL, {**HOME, field: value}, format="json")

    assert added.status_code == 400, added.json()
    assert added.json()["extra"] == {field: HIDDEN}
    assert not Address.objects.exists()
    home = client.post(URL, HOME, format="json").json()
    changed = client.patch(f"{URL}{home['id']}/", {field: value}, format="json")
    assert changed.status_code == 400, changed.json()
    assert changed.json()["extra"] == {field: HIDDEN}
    assert getattr(Address.objects.get(), field) == HOME.get(field, "")


def test_each_field_is_kept_on_one_line_and_the_marks_scripts_need_are_kept():
    client = client_for(CustomerUserFactory())

    response = client.post(
        URL,
        {
            **HOME,
            "name": "Nora\r\n  Galli",
            "line1": "Via Torino 1\tint. 4",
            "line2": "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645\u200f",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    saved = response.json()
    assert (saved["name"], saved["line1"]) == ("Nora Galli", "Via Torino 1 int. 4")
    assert saved["line2"] == ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645\u200f")
    changed = client.patch(
        f"{URL}{saved['id']}/", {"city": "\n Torino \n"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["city"] == "Torino"


def test_a_full_address_book_refuses_one_more():
    client = client_for(CustomerUserFactory())
    for n in range(MAX_ADDRESSES):
        added = client.post(URL, {**OFFICE, "label": f"#{n}"}, format="json")
        assert added.status_code == 201, added.json()

    response = client.post(URL, HOME, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "too_many_addresses"
    assert Address.objects.count() == MAX_ADDRESSES


def test_another_customer_s_address_is_a_404_and_stays_as_it_was():
    theirs = client_for(CustomerUserFactory()).post(URL, HOME, format="json").json()
    client = client_for(CustomerUserFactory())
    client.post(URL, OFFICE, format="json")
    path = f"{URL}{theirs['id']}/"

    assert client.get(path).status_code == 404
    assert client.patch(path, {"city": "Roma"}, format="json").status_code == 404
    assert client.patch(path, {"is_default": True}, format="json").status_code == 404
    assert client.delete(path).status_code == 404
    assert client.get(f"{URL}999999/").status_code == 404
    assert [a["label"] for a in listed(client)] == ["Office"]
    kept = Address.objects.get(pk=theirs["id"])
    assert (kept.city, kept.is_default) == ("Milano", True)


def test_anonymous_callers_are_refused_like_every_me_endpoint():
    client = APIClient()
    me = client.get("/api/v1/me/").status_code
    assert me in (401, 403)
    assert client.get(URL).status_code == me
    assert client.post(URL, HOME, format="json").status_code == me
    assert not Address.objects.exists()


def test_a_staff_login_is_answered_as_every_me_endpoint_answers_it():
    client = client_for(StaffFactory(store=LocationFactory()))
    me = client.get("/api/v1/me/")

    for response in (client.get(URL), client.post(URL, HOME, format="json")):
        assert response.status_code == me.status_code == 404
        assert response.json()["code"] == me.json()["code"] == "staff_login"


def test_an_erased_profile_cannot_save_an_address():
    """The login is closed by the erasure (its token refused); a request that was
    already through the door finds the profile erased and saves nothing."""
    user = CustomerUserFactory()
    token_client = token_client_for(user)
    in_flight = client_for(user)
    erase_customer(customer=Customer.objects.get(user=user))

    refused = in_flight.post(URL, HOME, format="json")

    assert token_client.post(URL, HOME, format="json").status_code == 401
    assert refused.status_code == 409
    assert refused.json()["code"] == "profile_erased"
    assert not Address.objects.exists()


def test_a_merge_keeps_the_survivors_default_address_the_only_default():
    from customers.models import Address
    from customers.services.addresses import add_address
    from customers.services.merge import merge_customers
    from tests.customers.factories import make_customer

    survivor = make_customer(email="keep@example.com")
    other = make_customer(email="fold@example.com")
    home = add_address(customer=survivor, **HOME)
    add_address(customer=other, **OFFICE)
    merge_customers(survivor=survivor, other=other, actor=None)
    defaults = Address.objects.filter(customer=survivor, is_default=True)
    assert list(defaults) == [home]
    assert Address.objects.filter(customer=survivor).count() == 2


def test_the_schema_says_an_address_saved_already_is_answered_200(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    responses = schema["paths"]["/api/v1/me/addresses/"]["post"]["responses"]

    assert {"200", "201"} <= set(responses)
    assert "saved already" in responses["200"]["description"]
