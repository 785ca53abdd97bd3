"""An associate on a tablet finds a customer, opens the 360° view and leaves a note."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Channel, CustomerEvent, StaffNote
from customers.services.consents import set_consent
from customers.services.loyalty import earn_points
from customers.services.matching import flag_duplicate, match_customer
from customers.services.profiles import update_profile
from customers.services.timeline import add_note, record_event
from tests.factories import CategoryFactory, LocationFactory, StaffFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def known_customer():
    shop = LocationFactory(code="MI01", name="Milano Centro", city="Milano")
    roma = LocationFactory(code="RM01", name="Roma Termini", city="Roma")
    CategoryFactory(slug="women-shirts", name="Shirts")
    CategoryFactory(slug="women-shoes", name="Shoes")
    associate = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    colleague = StaffFactory(
        username="luca", first_name="Luca", last_name="Esposito", store=roma
    )
    # Known in a Roma shop by phone, then given an email at the Milano counter: one
    # profile (an anonymous web visitor adds no identity to a profile they match).
    customer = match_customer(
        phone="333 123 4567",
        first_name="Martina",
        last_name="Ferrari",
        channel=Channel.STORE,
        location=roma,
        actor=colleague,
    )
    match_customer(
        email="martina.ferrari@example.com",
        phone="+39 333 1234567",
        channel=Channel.STORE,
        location=shop,
        actor=associate,
    )
    set_consent(
        customer=customer,
        channel="email",
        granted=True,
        source_channel=Channel.WEB,
    )
    set_consent(
        customer=customer,
        channel="sms",
        granted=False,
        source_channel=Channel.STORE,
        location=roma,
        actor=colleague,
    )
    update_profile(
        customer=customer,
        preferred_store=shop,
        preferences={
            "sizes": {"women-shirts": "S", "women-shoes": "38"},
            "favourite_categories": ["women-shirts"],
        },
    )
    earn_points(
        customer=customer, points=120, reason="Order W-1042", reference_id="W-1042"
    )
    add_note(
        customer=customer,
        text="Asked for the linen dress in sand when it is back.",
        actor=colleague,
        location=roma,
    )
    now = timezone.now()
    for i in range(25):
        record_event(
            customer=customer,
            kind="order_placed",
            summary=f"Order W-{1000 + i} placed online · 2 items",
            channel=Channel.WEB,
            occurred_at=now - timedelta(days=60 - 2 * i),
        )
    duplicate = match_customer(
        email="m.ferrari@example.org",
        first_name="Martina",
        last_name="Ferrari",
        channel=Channel.APP,
    )
    flag_duplicate(customer=customer, other=duplicate, reason="Same name, same town.")
    return {"associate": associate, "customer": customer}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_finds_a_customer_and_adds_a_note_seen_on_the_timeline(
    live_server, page, known_customer
):
    page.set_viewport_size({"width": 1024, "height": 768})
    customer = known_customer["customer"]
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "giulia")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("current-store")).to_have_text("Milano Centro")

        page.click("nav.main >> text=Customers")
        # The customer dictates the number in international form: live results.
        page.get_by_label("Name, email, phone or loyalty card").fill("0039 333 1234567")
        results = page.get_by_test_id("customer-results")
        expect(results).to_contain_text("Martina Ferrari")
        expect(results).to_contain_text("martina.ferrari@example.com")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "customer-search.png"))
        results.get_by_role("link", name="Martina Ferrari").click()

        expect(page.get_by_test_id("customer-name")).to_contain_text("Martina Ferrari")
        expect(page.get_by_test_id("identities")).to_contain_text("+393331234567")
        expect(page.get_by_test_id("consents")).to_contain_text("yes")
        expect(page.get_by_test_id("preferences")).to_contain_text("38")
        expect(page.get_by_test_id("points")).to_have_text("120")
        expect(page.get_by_test_id("duplicates")).to_contain_text("Same name")
        timeline = page.get_by_test_id("timeline")
        expect(timeline).to_contain_text("linen dress in sand")
        expect(timeline).to_contain_text("by Luca Esposito")

        page.get_by_label("Add a note").fill(
            "Tried the blue blazer in 40; will come back."
        )
        page.get_by_role("button", name="Add note").click()
        expect(page.get_by_test_id("note-added")).to_be_visible()
        first_event = page.get_by_test_id("timeline").locator("li.event").first
        expect(first_event).to_contain_text("blue blazer in 40")
        expect(first_event).to_contain_text("Milano Centro · by Giulia Bianchi")
        assert StaffNote.objects.filter(
            customer=customer, author=known_customer["associate"]
        ).exists()

        # Older history comes in without leaving the page.
        events = page.get_by_test_id("timeline").locator("li.event")
        expect(events).to_have_count(20)
        page.get_by_test_id("timeline-more").click()
        total = CustomerEvent.objects.filter(customer=customer).count()
        expect(events).to_have_count(min(total, 40))
        page.evaluate("window.scrollTo(0, 0)")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "customer-360.png"))

        # The duplicate card leads to a side-by-side confirmation, nothing merged yet.
        page.get_by_role("link", name="Review merge").click()
        expect(page.get_by_test_id("merge-survivor")).to_contain_text("+393331234567")
        expect(page.get_by_test_id("merge-other")).to_contain_text(
            "m.ferrari@example.org"
        )
        page.screenshot(path=str(ARTIFACTS / "customer-merge.png"))
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "customer-360-full.png"), full_page=True)
