"""The customer list fits a 1366 px laptop screen, filters included: no sideways
scrolling to reach a customer's preferred shop or the day they joined."""

import pytest

from customers.models import Customer
from omnistore.accounts.models import Role
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_customer_list_fits_a_laptop_screen(live_server, page):
    shop = LocationFactory(code="MI01", name="Milano Corso Vittorio Emanuele")
    for index in range(5):
        customer = make_customer(
            email=f"giulia.maria.rossi.bianchi{index}@example-mail.it",
            first_name="Giulia Maria",
            last_name=f"Rossi Bianchi {index}",
            phone=f"+39 333 123 456{index}",
        )
        Customer.objects.filter(pk=customer.pk).update(preferred_store=shop)
    UserFactory(username="elena", role=Role.HQ)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "elena")
    page.fill("#id_password", "pass-1234")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/customers/customer/")
    assert page.locator("#result_list tbody tr").count() == 5
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth,"
        " table: document.querySelector('#result_list').getBoundingClientRect().right})"
    )
    assert widths["page"] <= 1366, widths
    assert widths["table"] <= 1366, widths
