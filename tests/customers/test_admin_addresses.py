"""A customer's saved addresses are shown on their admin page, never written there:
each change goes through the address service, which cleans it, keeps one default and
puts it on the timeline (the customer's pages and the API call it). A form posted
with an address added, changed or deleted saves the profile and leaves the
addresses as they were."""

import pytest

from customers.models import Address, CustomerEvent
from customers.services.addresses import add_address
from omnistore.accounts.models import Role
from tests.customers.factories import make_customer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/customers/customer/"


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="elena", role=Role.HQ))
    return client


@pytest.fixture
def customer():
    customer = make_customer(email="ida@example.com", first_name="Ida")
    add_address(
        customer=customer,
        label="Home",
        name="Ida Back",
        line1="Via Roma 1",
        postcode="20121",
        city="Milano",
        country="IT",
    )
    return customer


def posted_with_address_edits(page, customer, address) -> dict:
    """The page's form as shown, the name corrected, and in the address rows: the
    saved one changed and ticked for deletion, a new one added."""
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"birthday": "", "preferred_store": "", "preferences": "{}"})
    data["first_name"] = "Ida Maria"
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for i, inline_form in enumerate(formset.forms):
            data[f"{formset.prefix}-{i}-id"] = inline_form.instance.pk
            data[f"{formset.prefix}-{i}-customer"] = customer.pk
    row = {
        "label": "Work",
        "name": "Ida Back",
        "line1": "Via Altrove 99",
        "postcode": "20100",
        "city": "Milano",
        "country": "IT",
        "phone": "",
    }
    data.update(
        {
            "addresses-TOTAL_FORMS": 2,
            "addresses-INITIAL_FORMS": 1,
            "addresses-0-id": address.pk,
            "addresses-0-customer": customer.pk,
            "addresses-0-DELETE": "on",
            **{f"addresses-0-{k}": v for k, v in row.items()},
            **{f"addresses-1-{k}": v for k, v in row.items()},
        }
    )
    return data


def test_the_customer_page_shows_addresses_and_offers_no_edit(hq, customer):
    page = hq.get(f"{CHANGELIST}{customer.pk}/change/")

    assert page.status_code == 200
    (inline,) = [
        i for i in page.context["inline_admin_formsets"] if i.opts.model is Address
    ]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    html = page.content.decode()
    assert "Via Roma 1" in html and 'name="addresses-0-line1"' not in html


def test_address_edits_posted_to_the_customer_page_change_nothing(hq, customer):
    (address,) = Address.objects.filter(customer=customer)
    events = CustomerEvent.objects.filter(customer=customer).count()
    url = f"{CHANGELIST}{customer.pk}/change/"
    page = hq.get(url)

    response = hq.post(url, posted_with_address_edits(page, customer, address))

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.first_name == "Ida Maria"  # the profile went through its service
    kept = list(Address.objects.filter(customer=customer).values_list("pk", "line1"))
    assert kept == [(address.pk, "Via Roma 1")]
    kinds = list(
        CustomerEvent.objects.filter(customer=customer)
        .order_by("id")
        .values_list("kind", flat=True)[events:]
    )
    assert kinds == ["profile_updated"]
