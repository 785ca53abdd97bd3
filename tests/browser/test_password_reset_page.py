"""On a phone, the link of a password reset email opens a page that fits the screen,
takes a new password typed twice and says it is changed; the page's styles load
under the site's Content Security Policy."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from omnistore.accounts.models import User
from tests.orders.factories import deliver_outbox

EMAIL = "martina.phone@example.org"
NEW_PASSWORD = "Owner-pw-456xyz"
PHONE = {"width": 390, "height": 844}


def fits_the_phone(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    button = page.locator("button[type=submit]")
    if button.count():
        box = button.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 44


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_customer_sets_a_new_password_from_the_email_on_a_phone(
    live_server, page, settings
):
    settings.OMNISTORE_SITE_URL = live_server.url
    api = APIClient()
    body = {"email": EMAIL, "password": "Old-pw-123abc", "first_name": "Martina"}
    assert api.post("/api/v1/auth/register/", body, format="json").status_code == 201
    api.post("/api/v1/auth/password-reset/", {"email": EMAIL}, format="json")
    deliver_outbox()
    [message] = [m for m in mail.outbox if "password" in m.subject]
    link = re.search(r"https?://\S+", message.body).group(0)
    blocked = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security" in m.text else None,
    )
    page.set_viewport_size(PHONE)

    page.goto(link)
    assert page.locator("h1").inner_text() == "Choose a new password"
    card = page.locator(".card").evaluate("e => getComputedStyle(e).borderRadius")
    assert card != "0px"  # the stylesheet loaded
    fits_the_phone(page)
    page.fill("input[name=new_password]", "12345678")
    page.fill("input[name=new_password_again]", "12345678")
    page.click("button[type=submit]")
    assert "too common" in page.locator(".errorlist").first.inner_text()
    fits_the_phone(page)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=new_password_again]", NEW_PASSWORD)
    page.click("button[type=submit]")

    assert "Your password is changed: sign in in the app." in page.content()
    fits_the_phone(page)
    assert User.objects.get(email=EMAIL).check_password(NEW_PASSWORD)
    page.goto(link)
    assert page.locator("h1").inner_text() == "This reset link is no longer valid"
    fits_the_phone(page)
    assert blocked == []
