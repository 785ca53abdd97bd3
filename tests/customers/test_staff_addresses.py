"""Staff correct a customer's saved addresses from the customer page ("I moved"): add,
edit and remove, each on the customer's timeline with who, where and what changed,
checked by the same rules as the storefront's address book."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import Address, Customer, CustomerEvent
from customers.services.addresses import add_address
from customers.services.erasure import erase_customer
from customers.services.merge import merge_customers
from omnistore.core.channels import Channel
from orders.models import Order
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import LocationFactory, StaffFactory, UserFactory
from tests.orders.factories import stocked, warehouse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
HOME = {
    "label": "Home",
    "name": "Nora Galli",
    "line1": "Via Torino 1",
    "line2": "",
    "city": "Milano",
    "postcode": "20123",
    "country": "IT",
    "phone": "+39 333 222 1111",
}
MOVED = {**HOME, "line1": "Via Roma 5", "city": "Torino", "postcode": "10121"}


@pytest.fixture
def shop():
    return LocationFactory(country="IT", name="Brera")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Sara", last_name="Colombo")


@pytest.fixture
def staff_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def customer():
    return make_customer(email="nora@example.com", first_name="Nora", last_name="Galli")


def add_url(customer) -> str:
    return reverse("staff:customer_address_add", args=[customer.pk])


def edit_url(customer, address_id) -> str:
    return reverse("staff:customer_address_edit", args=[customer.pk, address_id])


def remove_url(customer, address_id) -> str:
    return reverse("staff:customer_address_remove", args=[customer.pk, address_id])


def detail_url(customer) -> str:
    return reverse("staff:customer_detail", args=[customer.pk])


def saved(customer, **fields) -> Address:
    return add_address(customer=customer, **{**HOME, **fields})


def as_saved(address: Address) -> dict:
    address.refresh_from_db()
    return {field: getattr(address, field) for field in HOME}


def address_events(customer, kind=None):
    events = CustomerEvent.objects.filter(
        customer=customer, reference_type="address"
    ).order_by("id")
    return events.filter(kind=kind) if kind else events


def test_the_customer_page_offers_add_edit_and_remove(staff_client, customer):
    home = saved(customer)

    page = staff_client.get(detail_url(customer)).content.decode()

    assert 'data-testid="add-address"' in page
    assert f'data-testid="edit-address-{home.pk}"' in page
    assert f'data-testid="remove-address-{home.pk}"' in page
    assert "Via Torino 1" in page


def test_a_full_address_book_says_so_instead_of_offering_a_form(staff_client, customer):
    for number in range(20):
        saved(customer, line1=f"Via Torino {number + 1}")

    page = staff_client.get(detail_url(customer)).content.decode()
    form = staff_client.get(add_url(customer)).content.decode()

    for shown in (page, form):
        assert 'data-testid="address-book-full"' in shown
        assert 'data-testid="add-address"' not in shown
    assert 'name="line1"' not in form


def test_an_associate_adds_an_address_on_record_with_their_name_and_shop(
    staff_client, customer, associate, shop
):
    response = staff_client.post(add_url(customer), {**HOME, "country": "it"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == detail_url(customer)
    (address,) = Address.objects.filter(customer=customer)
    assert as_saved(address) == HOME
    assert address.is_default  # the first one is the default
    (event,) = address_events(customer)
    assert event.kind == "address_added"
    assert (event.actor, event.location, event.channel) == (
        associate,
        shop,
        Channel.STORE,
    )
    assert event.summary == "Delivery address “Home” added: Via Torino 1, 20123, Milano"
    assert event.data["after"]["line1"] == "Via Torino 1"


def test_an_edit_changes_the_address_and_the_timeline_says_old_and_new(
    staff_client, customer, associate, shop
):
    home = saved(customer)

    response = staff_client.post(edit_url(customer, home.pk), MOVED, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == detail_url(customer)
    assert as_saved(home) == MOVED
    event = address_events(customer, "address_updated").get()
    assert (event.actor, event.location) == (associate, shop)
    assert event.data == {
        "address_id": home.pk,
        "fields": ["line1", "city", "postcode"],
        "before": {"line1": "Via Torino 1", "city": "Milano", "postcode": "20123"},
        "after": {"line1": "Via Roma 5", "city": "Torino", "postcode": "10121"},
    }
    assert event.summary == (
        "Delivery address “Home” changed: line 1 Via Torino 1 → Via Roma 5, "
        "city Milano → Torino, postcode 20123 → 10121"
    )
    page = staff_client.get(detail_url(customer)).content.decode()
    assert "line 1 Via Torino 1 → Via Roma 5" in page
    assert "by Sara Colombo" in page


def test_an_edit_that_changes_nothing_leaves_no_timeline_entry(staff_client, customer):
    home = saved(customer)

    response = staff_client.post(edit_url(customer, home.pk), HOME, **HTMX)

    assert response.status_code == 200
    assert not address_events(customer, "address_updated").exists()


def test_ticking_another_address_makes_it_the_only_default(staff_client, customer):
    home = saved(customer)
    office = saved(customer, label="Office", line1="Corso Como 10")

    form = staff_client.get(edit_url(customer, home.pk), **HTMX).content.decode()
    assert 'name="is_default"' not in form  # the default is replaced, never unset
    staff_client.post(
        edit_url(customer, office.pk),
        {**HOME, "label": "Office", "line1": "Corso Como 10", "is_default": "on"},
        **HTMX,
    )

    assert list(
        Address.objects.filter(customer=customer, is_default=True).values_list(
            "label", flat=True
        )
    ) == ["Office"]
    event = address_events(customer, "address_updated").get()
    assert event.data["fields"] == ["is_default"]
    assert event.summary.endswith("changed: default no → yes")


@pytest.mark.parametrize(
    "typed, field",
    [
        ({"line1": "  "}, "line1"),
        ({"city": ""}, "city"),
        ({"postcode": ""}, "postcode"),
        ({"country": "ITA"}, "country"),
        ({"country": "ZZ"}, "country"),  # no market sells there: checkout's rule
        ({"postcode": "1" * 21}, "postcode"),
        ({"phone": "1" * 21}, "phone"),
        ({"line1": "Via\u200b Roma 5"}, "line1"),  # invisible: checkout refuses it
        ({"name": "Nora\x07 Galli"}, "name"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_changes_nothing(
    staff_client, customer, typed, field
):
    home = saved(customer)
    before = as_saved(home)
    events = address_events(customer).count()

    edited = staff_client.post(edit_url(customer, home.pk), {**HOME, **typed}, **HTMX)
    added = staff_client.post(add_url(customer), {**HOME, **typed}, **HTMX)

    for response in (edited, added):
        assert response.status_code == 422
        body = response.content.decode()
        assert f'data-testid="error-{field}"' in body
        assert 'data-testid="address-form"' in body
        assert "<html" not in body  # the card again, in place
    assert as_saved(home) == before
    assert Address.objects.filter(customer=customer).count() == 1
    assert address_events(customer).count() == events


def test_every_problem_is_told_at_once(staff_client, customer):
    response = staff_client.post(
        add_url(customer), {**HOME, "line1": "", "country": "ZZ"}, **HTMX
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="error-line1"' in body
    assert 'data-testid="error-country"' in body
    assert not Address.objects.exists()


def test_another_customer_s_address_or_an_unknown_one_is_404(staff_client, customer):
    other = make_customer(email="other@example.com")
    theirs = saved(other, label="Theirs")
    before = as_saved(theirs)

    for address_id in (theirs.pk, theirs.pk + 1000):
        assert staff_client.get(edit_url(customer, address_id)).status_code == 404
        assert (
            staff_client.post(edit_url(customer, address_id), MOVED).status_code == 404
        )
        assert staff_client.post(remove_url(customer, address_id)).status_code == 404
    assert as_saved(theirs) == before
    assert not address_events(customer).exists()
    assert staff_client.get(add_url(Customer(pk=10**9))).status_code == 404


def test_removing_takes_it_out_of_the_book_and_orders_placed_with_it_keep_theirs(
    staff_client, customer, associate
):
    user = CustomerUserFactory()
    shopper = Customer.objects.get(user=user)
    api = APIClient()
    api.force_authenticate(user)
    home = saved(shopper)
    office = saved(shopper, label="Office", line1="Corso Como 10")
    item = stocked(warehouse(), 5)
    api.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": item.pk, "quantity": 1}]},
        format="json",
    )
    placed = api.post(
        "/api/v1/checkout/",
        {
            "payment": {"method": "card_online", "token": "tok_visa"},
            "fulfilment": "delivery",
            "address_id": home.pk,
        },
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    (fulfilment,) = Order.objects.get().fulfilments.all()
    copy = dict(fulfilment.address)

    response = staff_client.post(remove_url(shopper, home.pk), **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == detail_url(shopper)
    fulfilment.refresh_from_db()
    assert fulfilment.address == copy
    assert copy["line1"] == "Via Torino 1"
    assert list(Address.objects.filter(customer=shopper)) == [office]
    office.refresh_from_db()
    assert office.is_default  # the default went to the one left
    page = staff_client.get(detail_url(shopper)).content.decode()
    assert f'data-testid="edit-address-{home.pk}"' not in page
    event = address_events(shopper, "address_removed").get()
    assert event.actor == associate
    assert event.data["before"]["line1"] == "Via Torino 1"
    assert event.summary == (
        "Delivery address “Home” removed: Via Torino 1, 20123, Milano"
    )
    listed = api.get("/api/v1/me/addresses/").json()["results"]
    assert [a["id"] for a in listed] == [office.pk]


def test_an_erased_profile_gets_no_new_address(staff_client, customer):
    erase_customer(customer=customer)

    page = staff_client.get(detail_url(customer)).content.decode()
    response = staff_client.post(add_url(customer), HOME, **HTMX)

    assert 'data-testid="add-address"' not in page
    assert response.status_code == 422
    assert "This profile was erased." in response.content.decode()
    assert not Address.objects.filter(customer=customer).exists()


def test_the_forms_work_without_javascript(staff_client, customer):
    home = saved(customer)

    form = staff_client.get(edit_url(customer, home.pk))
    response = staff_client.post(edit_url(customer, home.pk), MOVED, follow=True)

    assert form.status_code == 200
    assert "<html" in form.content.decode()
    assert 'value="Via Torino 1"' in form.content.decode()
    assert response.redirect_chain == [(detail_url(customer), 302)]
    assert "Address saved." in response.content.decode()
    assert as_saved(home) == MOVED


def test_a_merged_profile_s_address_is_the_survivor_s(staff_client):
    survivor = make_customer(email="keep@example.com")
    other = make_customer(email="fold@example.com")
    moved = saved(other, label="Office")
    merge_customers(survivor=survivor, other=other, actor=None)

    response = staff_client.post(edit_url(other, moved.pk), MOVED, **HTMX)

    assert response.status_code == 200
    moved.refresh_from_db()
    assert (moved.customer_id, moved.line1) == (survivor.pk, "Via Roma 5")
    assert address_events(survivor, "address_updated").exists()


def test_who_may_is_whoever_may_open_the_customer_page(client, customer):
    """Every associate sees every customer (a customer never explains twice), so
    an associate of any shop corrects the address; anyone the page sends to the
    sign-in is sent there from the address forms too, and nothing changes."""
    home = saved(customer)
    urls = [
        ("get", add_url(customer)),
        ("post", add_url(customer)),
        ("get", edit_url(customer, home.pk)),
        ("post", edit_url(customer, home.pk)),
        ("post", remove_url(customer, home.pk)),
    ]
    for login in (None, UserFactory()):
        if login is not None:
            client.force_login(login)
        page = client.get(detail_url(customer))
        assert page.status_code == 302 and "/staff/login/" in page["Location"]
        for method, url in urls:
            response = getattr(client, method)(url, MOVED)
            assert response.status_code == 302, url
            assert "/staff/login/" in response["Location"]
    assert as_saved(home) == HOME
    assert Address.objects.count() == 1

    elsewhere = StaffFactory(store=LocationFactory(country="FR", name="Lyon"))
    client.force_login(elsewhere)
    assert client.get(detail_url(customer)).status_code == 200
    response = client.post(edit_url(customer, home.pk), MOVED, **HTMX)
    assert response.status_code == 200
    assert as_saved(home) == MOVED
    assert address_events(customer, "address_updated").get().actor == elsewhere
