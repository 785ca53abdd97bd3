"""An associate reads a customer's message about a wishlist item in their inbox and
replies: SMS is refused without the customer's consent, email goes out with it."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from customers.models import Channel, ConsentChannel, Message
from customers.services.consents import set_consent
from customers.services.inbox import send_customer_message
from customers.services.matching import match_customer
from customers.services.wishlists import add_wishlist_item
from omnistore.core import outbox
from tests.factories import LocationFactory, StaffFactory, VariantFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def writing_customer():
    shop = LocationFactory(code="MI01", name="Milano Centro")
    associate = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    customer = match_customer(
        email="martina.ferrari@example.com",
        phone="+393471234567",
        first_name="Martina",
        last_name="Ferrari",
        channel=Channel.WEB,
    )
    customer.identities.update(verified=True)  # proven with the codes sent there
    set_consent(
        customer=customer,
        channel=ConsentChannel.EMAIL,
        granted=True,
        source_channel=Channel.WEB,
    )
    blazer = VariantFactory(
        sku="BLZ-NV-42",
        product__name="Wool blazer",
        colour="Navy",
        size="42",
        price=Decimal("249.00"),
    )
    item = add_wishlist_item(
        customer=customer, variant=blazer, actor=associate, channel=Channel.STORE
    ).item
    send_customer_message(
        customer=customer,
        body="Hello Giulia, is the navy blazer back in 42?\nI could come on Saturday.",
        wishlist_item=item.pk,
        channel=Channel.WEB,
    )
    return {"associate": associate, "customer": customer}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_reads_and_answers_a_message_in_the_inbox(
    live_server, page, writing_customer
):
    page.set_viewport_size({"width": 1024, "height": 768})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "giulia")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("inbox-unread")).to_have_text("1")

        page.get_by_test_id("nav-inbox").click()
        thread = page.get_by_test_id("inbox-thread")
        expect(thread).to_contain_text("Martina Ferrari")
        expect(thread).to_contain_text("1 new")
        page.screenshot(path=str(ARTIFACTS / "inbox-list.png"), full_page=True)

        thread.locator("a").click()
        message = page.get_by_test_id("message")
        expect(message).to_contain_text("is the navy blazer back in 42?")
        expect(page.get_by_test_id("message-about")).to_contain_text("Wool blazer")
        expect(page.get_by_test_id("inbox-unread")).to_have_count(0)

        # No SMS consent: the form says so and nothing is sent.
        page.get_by_label("SMS").check()
        page.get_by_label("Reply", exact=True).fill("Yes! Ready for you Saturday.")
        page.get_by_test_id("reply-send").click()
        expect(page.get_by_test_id("error-channel")).to_contain_text("No SMS consent")
        page.screenshot(path=str(ARTIFACTS / "inbox-refused.png"), full_page=True)

        page.get_by_label("Email").check()
        page.get_by_test_id("reply-send").click()
        expect(page.locator("[data-message]")).to_contain_text("Reply sent by Email")
        reply = page.locator('[data-testid="message"][data-direction="out"]')
        expect(reply).to_contain_text("Yes! Ready for you Saturday.")
        expect(reply).to_contain_text("Email by Giulia Bianchi")
        page.screenshot(path=str(ARTIFACTS / "inbox-thread.png"), full_page=True)

        outbox.drain()
        (email,) = mail.outbox
        assert email.to == ["martina.ferrari@example.com"]
        assert Message.objects.filter(direction="out", channel="email").count() == 1
    finally:
        page.screenshot(path=str(ARTIFACTS / "inbox-full.png"), full_page=True)
