"""The gift cards list in the admin offers the stored-value liability report to those
who may open it: staff who see every shop. Its actions say why they refuse and keep
every void in the card's history."""

import html
import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval
from orders.models import GiftCardStatus
from tests.factories import UserFactory
from tests.orders.factories import shop
from tests.orders.stored_value_helpers import balance, gift_card, ledger_total

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CARDS = reverse("admin:orders_giftcard_changelist")
LIABILITY = reverse("admin:orders_giftcard_liability")


def test_headquarters_find_the_liability_report_on_the_gift_cards_list(client):
    gift_card("25.00")
    client.force_login(UserFactory(username="hq-cards", role=Role.HQ, is_staff=True))

    listed = client.get(CARDS)

    assert listed.status_code == 200
    assert f'href="{LIABILITY}"' in listed.content.decode()
    assert client.get(LIABILITY).status_code == 200


def test_a_store_manager_is_not_offered_the_report_they_may_not_open(client):
    manager = UserFactory(
        username="marco-cards", role=Role.STORE_MANAGER, store=shop(), is_staff=True
    )
    client.force_login(manager)
    # The role does not read gift cards at all.
    assert client.get(CARDS).status_code == 403

    # Given the list by hand, a manager scoped to a shop still may not open the
    # company-wide report, and the list does not link to it.
    manager.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="orders", codename="view_giftcard"
        )
    )
    gift_card("25.00")
    listed = client.get(CARDS)

    assert listed.status_code == 200
    assert LIABILITY not in listed.content.decode()
    assert client.get(LIABILITY).status_code == 403


@pytest.fixture
def headquarters(client):
    client.force_login(
        UserFactory(username="hq-void", role=Role.HQ, is_staff=True, is_superuser=True)
    )
    return client


def _act(client, card, action, **data):
    return client.post(
        CARDS,
        {"action": action, "_selected_action": [card.pk], **data},
        follow=True,
    )


def test_voiding_an_empty_card_keeps_who_voided_it_when_and_why(headquarters):
    card = gift_card("10.00")
    _act(headquarters, card, "adjust_cards", amount="-10", reason="correct to zero")

    page = _act(headquarters, card, "void_cards", reason="lost card", confirm="yes")

    assert "1 gift card(s) changed." in page.content.decode()
    card.refresh_from_db()
    assert card.status == GiftCardStatus.VOID
    entry = LogEntry.objects.get(object_id=str(card.pk))
    assert entry.user.username == "hq-void"
    own = Approval.objects.get(kind="gift_card_void", summary__startswith="Void")
    assert own.decided_by == entry.user  # their own move, recorded as approved
    assert entry.change_message == (
        f"Voided: lost card (approval {own.pk}, given by {entry.user})"
    )
    assert entry.action_time == card.voided_at
    history = headquarters.get(reverse("admin:orders_giftcard_history", args=[card.pk]))
    assert "Voided: lost card" in history.content.decode()
    # The ledger still adds up to the balance, and the liability sees no movement.
    assert ledger_total(card) == Decimal("0.00")
    assert not card.transactions.filter(kind="void").exists()


@pytest.mark.parametrize(
    ("amount", "said"),
    [
        ("abc", "Enter an amount such as 10 or -12.50."),
        ("NaN", "Enter an amount such as 10 or -12.50."),
        ("5.555", "Whole cents only: at most 2 decimals."),
        ("99999999999", "Far more than a gift card holds."),
    ],
)
def test_a_bad_amount_says_what_is_wrong_with_it_and_changes_nothing(
    headquarters, amount, said
):
    card = gift_card("50.00")

    page = _act(headquarters, card, "adjust_cards", amount=amount, reason="typo")

    text = page.content.decode()
    assert f"Adjust by (signed): {said}" in html.unescape(text)
    assert "No action selected." not in text
    assert balance(card) == Decimal("50.00")
    assert list(card.transactions.values_list("kind", flat=True)) == ["issue"]


def test_a_card_past_its_date_is_listed_expired_before_the_hourly_task(client):
    card = gift_card("25.00")
    card.expires_at = card.issued_at  # past, its rest not yet booked as expired
    card.save(update_fields=["expires_at"])
    client.force_login(UserFactory(username="hq-expired", role=Role.HQ, is_staff=True))

    listed = client.get(CARDS).content.decode()
    (row,) = [r for r in listed.split("<tr")[1:] if card.number[-4:] in r]
    status = row.split('class="field-status_now"')[1].split("</td>")[0]

    assert card.status == GiftCardStatus.ACTIVE
    assert status.endswith(">Expired")


def _change_page(card) -> str:
    return reverse("admin:orders_giftcard_change", args=[card.pk])


def test_a_cards_page_shows_every_field_and_saves_nothing(headquarters):
    """A card moves only through the actions, each move a ledger row with who and
    why: its page offers no field to edit, its ledger no row, and a form sent to it
    anyway (a void, a new sender) is refused with the card as it was."""
    card = gift_card("25.00", sender_name="Ada")

    page = headquarters.get(_change_page(card))

    text = page.content.decode()
    assert page.status_code == 200
    form = text.split('id="giftcard_form"')[1].split("</form>")[0]
    controls = re.findall(r"<(?:input|select|textarea)[^>]*>", form)
    assert [tag for tag in controls if 'type="hidden"' not in tag] == []
    assert 'name="_save"' not in text
    for shown in ("field-status_now", "field-sender_name", "field-balance"):
        assert shown in text
    assert "Ada" in text

    refused = headquarters.post(
        _change_page(card),
        {"status": "void", "sender_name": "Mallory", "_save": "Save"},
    )

    assert refused.status_code == 403
    card.refresh_from_db()
    assert (card.status, card.sender_name) == (GiftCardStatus.ACTIVE, "Ada")
    assert balance(card) == Decimal("25.00")
    assert not LogEntry.objects.filter(object_id=str(card.pk)).exists()


def test_a_voided_card_is_not_brought_back_from_its_page(headquarters):
    card = gift_card("10.00")
    _act(headquarters, card, "adjust_cards", amount="-10", reason="correct to zero")
    _act(headquarters, card, "void_cards", reason="lost card", confirm="yes")

    refused = headquarters.post(_change_page(card), {"status": "active"})

    assert refused.status_code == 403
    card.refresh_from_db()
    assert card.status == GiftCardStatus.VOID


def test_a_cards_history_page_lists_its_ledger_who_and_why(headquarters):
    card = gift_card("40.00")
    _act(headquarters, card, "adjust_cards", amount="-15.50", reason="till miscount")

    page = headquarters.get(reverse("admin:orders_giftcard_history", args=[card.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "This object doesn’t have a change history" not in text
    section = text.split('data-testid="giftcard-status-history"')[1]
    issued, adjusted = section.split("</table>")[0].split("<tr>")[2:]
    assert "Issued" in issued and "40.00" in issued and "system" in issued
    assert "Adjusted" in adjusted and "-15.50" in adjusted and "24.50" in adjusted
    assert "till miscount" in adjusted and "Alex Rossi" in adjusted


def test_voiding_cards_first_lists_them_and_asks_why_before_anything_changes(
    headquarters,
):
    """Chosen on the list, the void draws a page listing the cards and the balance
    each loses, the action bar's reason filled in; nothing changes until its
    confirming post, which is refused on the page without a reason."""
    card = gift_card("30.00")
    void_already = gift_card("5.00")
    _act(headquarters, void_already, "adjust_cards", amount="-5", reason="zero")
    _act(headquarters, void_already, "void_cards", reason="gone", confirm="yes")
    chosen = {"action": "void_cards", "_selected_action": [card.pk, void_already.pk]}

    page = headquarters.post(CARDS, {**chosen, "reason": "Reported stolen"})

    assert page.status_code == 200
    (row,) = page.context["rows"]
    assert row[:4] == (card.masked_number, "Physical card", "Active", "30.00 EUR")
    assert page.context["form"]["reason"].value() == "Reported stolen"
    text = page.content.decode()
    assert "never usable again" in text and "This cannot be undone." in text
    assert balance(card) == Decimal("30.00")
    assert card.status == GiftCardStatus.ACTIVE

    refused = headquarters.post(CARDS, {**chosen, "reason": " ", "confirm": "yes"})

    assert refused.status_code == 422
    assert "Say why the cards are voided." in refused.content.decode()
    assert balance(card) == Decimal("30.00")

    done = headquarters.post(
        CARDS, {**chosen, "reason": "Reported stolen", "confirm": "yes"}, follow=True
    )

    assert "1 gift card(s) changed." in done.content.decode()
    card.refresh_from_db()
    assert card.status == GiftCardStatus.VOID
    assert card.transactions.get(kind="void").reason == "Reported stolen"
    entry = LogEntry.objects.get(object_id=str(card.pk))
    assert entry.user.username == "hq-void"
    assert entry.change_message.startswith("Voided: Reported stolen")
