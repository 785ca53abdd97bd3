"""Managers' admin for discount codes: the list (uses against the limit, validity,
campaign), filters and search, adding and changing codes through the services with
uses read-only, the redemptions of a code, and the deactivate action."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from omnistore.accounts.models import Role
from orders.models import DiscountCode
from tests.factories import UserFactory
from tests.orders.discount_helpers import campaign_id, discount_code
from tests.orders.factories import pickup_order, shop, stocked

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/discountcode/"
ADD = CHANGELIST + "add/"


@pytest.fixture
def admin_client(client):
    manager = UserFactory(
        username="boss", role=Role.HQ, is_staff=True, is_superuser=True
    )
    client.force_login(manager)
    client.manager = manager
    return client


def listed(response) -> list[str]:
    return [code.code for code in response.context["cl"].result_list]


def form_data(**overrides) -> dict:
    data = {
        "code": "summer25",
        "kind": "percentage",
        "value": "25",
        "active": "on",
        "min_subtotal": "0",
        "channels": "both",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
        "max_uses": "",
        "max_uses_per_customer": "",
        "campaign_id": "",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_costs_the_same_queries_for_any_length(
    admin_client, django_assert_max_num_queries, count
):
    for index in range(count):
        discount_code(
            f"CODE{index:02d}", "fixed", "5", max_uses=10, campaign_id=campaign_id()
        )
    admin_client.get(CHANGELIST)  # the process's first admin page fills its caches
    with django_assert_max_num_queries(5):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(listed(response)) == count


def test_the_list_shows_uses_against_the_limit_validity_and_campaign(admin_client):
    store = shop()
    item = stocked(store, 5)
    spring = campaign_id()
    discount_code(
        "SPRING10",
        "percentage",
        "10",
        max_uses=50,
        campaign_id=spring,
        valid_until=timezone.now() + timedelta(days=30),
    )
    discount_code("FOREVER", "fixed", "5")
    pickup_order(store=store, lines=[(item, 1)], discount_code="SPRING10")

    html = admin_client.get(CHANGELIST).content.decode()

    assert "1 / 50" in html and "0 / ∞" in html
    assert "10 %" in html and "until " in html and "always" in html
    assert f'<td class="field-campaign_id">{spring}</td>' in html


def test_filters_and_search_find_codes_by_state_validity_campaign_and_text(
    admin_client,
):
    now = timezone.now()
    spring = campaign_id()
    discount_code("CURRENT", "fixed", "5", campaign_id=spring)
    discount_code("OLD", "fixed", "5", valid_until=now - timedelta(days=1))
    discount_code("SOON", "fixed", "5", valid_from=now + timedelta(days=3))
    discount_code("OFF", "fixed", "5", active=False)

    def names(**params):
        return sorted(listed(admin_client.get(CHANGELIST, params)))

    assert names(validity="expired") == ["OLD"]
    assert names(validity="scheduled") == ["SOON"]
    assert names(validity="current") == ["CURRENT", "OFF"]
    assert names(active__exact="0") == ["OFF"]
    assert names(from_campaign="yes") == ["CURRENT"]
    assert names(q="soo") == ["SOON"]
    assert names(q=str(spring)) == ["CURRENT"]  # by campaign id


def test_adding_a_code_goes_through_the_service(admin_client):
    spring = campaign_id()
    response = admin_client.post(ADD, form_data(campaign_id=spring, max_uses="100"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    code = DiscountCode.objects.get()
    assert (code.code, code.kind, code.value) == ("SUMMER25", "percentage", 25)
    assert (code.max_uses, code.campaign_id, code.times_used) == (100, spring, 0)
    assert code.created_by == admin_client.manager


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value": "150"}, "A percentage is above 0 and at most 100."),
        ({"kind": "fixed", "value": "0"}, "A fixed discount is an amount above zero."),
        ({"code": "a b"}, "letters, digits"),
    ],
)
def test_a_bad_code_is_shown_on_the_form_and_nothing_is_saved(
    admin_client, overrides, message
):
    response = admin_client.post(ADD, form_data(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DiscountCode.objects.exists()


def test_a_taken_code_is_refused_whatever_its_case(admin_client):
    discount_code("SUMMER25", "fixed", "5")
    response = admin_client.post(ADD, form_data(code="Summer25"))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert DiscountCode.objects.count() == 1


def test_uses_are_read_only_and_limits_change_through_the_service(admin_client):
    store = shop()
    item = stocked(store, 5)
    code = discount_code("LIMITED", "fixed", "5", max_uses=5)
    for email in ("a@example.com", "b@example.com"):
        pickup_order(
            store=store, lines=[(item, 1)], email=email, discount_code="LIMITED"
        )
    url = f"{CHANGELIST}{code.pk}/change/"

    page = admin_client.get(url).content.decode()
    assert 'name="times_used"' not in page and 'name="value"' not in page
    assert page.count("/admin/orders/order/") >= 2  # its redemptions, linked

    too_low = admin_client.post(
        url, form_data(code=None, kind=None, value=None, active=None, max_uses="1")
    )
    assert too_low.status_code == 200
    assert "Already used 2 times: at least that." in too_low.content.decode()

    ok = admin_client.post(
        url,
        form_data(
            code=None, kind=None, value=None, active=None, max_uses="3", times_used="0"
        ),
    )
    assert ok.status_code == 302
    code.refresh_from_db()
    assert (code.max_uses, code.times_used, code.value) == (3, 2, Decimal("5.00"))


def test_the_deactivate_action_switches_codes_off_and_records_who(admin_client):
    first = discount_code("ONE", "fixed", "5")
    second = discount_code("TWO", "fixed", "5")

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "deactivate",
            "_selected_action": [first.pk, second.pk],
            "confirm": "yes",
        },
    )

    assert response.status_code == 302
    for code in (first, second):
        code.refresh_from_db()
        assert code.active is False
        assert code.deactivated_by == admin_client.manager
    assert "Deactivated 2 codes: ONE, TWO." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]


def test_deactivating_codes_first_lists_them_and_changes_nothing(admin_client):
    """Chosen on the list, the action draws a page listing the active codes it
    switches off for good, and changes nothing; its confirming post does."""
    live = discount_code("LIVE10", "percentage", "10", max_uses=50)
    off = discount_code("OFF5", "fixed", "5", active=False)
    chosen = {"action": "deactivate", "_selected_action": [live.pk, off.pk]}

    page = admin_client.post(CHANGELIST, chosen)

    assert page.status_code == 200
    assert page.context["rows"] == [("LIVE10", "10 %", "always", "0 / 50", "—")]
    text = page.content.decode()
    assert "never switched on again" in text and "This cannot be undone." in text
    live.refresh_from_db()
    assert live.active is True and live.deactivated_by is None

    admin_client.post(CHANGELIST, {**chosen, "confirm": "yes"})

    live.refresh_from_db()
    assert live.active is False and live.deactivated_by == admin_client.manager
    again = admin_client.post(CHANGELIST, chosen)  # nothing left to switch off
    assert again.status_code == 302
    said = [str(m) for m in get_messages(again.wsgi_request)]
    assert said[-1] == "The selected codes were already inactive."


def test_codes_are_never_deleted_from_the_admin(admin_client):
    code = discount_code("KEEP", "fixed", "5")
    response = admin_client.get(f"{CHANGELIST}{code.pk}/delete/")
    assert response.status_code == 403


def field_errors(response) -> dict:
    """The form's errors, each beside its field: none at the top of the form."""
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert not form.non_field_errors()
    return form.errors


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"value": "150"}, "value", "A percentage is above 0 and at most 100."),
        ({"value": "0"}, "value", "A percentage is above 0 and at most 100."),
        (
            {"kind": "fixed", "value": "0"},
            "value",
            "A fixed discount is an amount above zero.",
        ),
        ({"min_subtotal": "-1"}, "min_subtotal", "The minimum order is zero or more."),
        ({"max_uses": "0"}, "max_uses", "A use limit is at least 1 (empty: none)."),
        (
            {"max_uses_per_customer": "0"},
            "max_uses_per_customer",
            "A use limit is at least 1 (empty: none).",
        ),
        (
            {
                "valid_from_0": "2031-06-30",
                "valid_from_1": "10:00",
                "valid_until_0": "2031-06-01",
                "valid_until_1": "10:00",
            },
            "valid_until",
            "The end of validity must be after its start.",
        ),
    ],
)
def test_a_term_out_of_bounds_is_refused_beside_its_field(
    admin_client, overrides, field, message
):
    response = admin_client.post(ADD, form_data(**overrides))

    assert field_errors(response)[field] == [message]
    assert not DiscountCode.objects.exists()


def test_a_change_that_ends_validity_before_it_starts_is_refused_at_the_end(
    admin_client,
):
    start = timezone.now() + timedelta(days=10)
    code = discount_code("SUMMER", "fixed", "5", valid_from=start)
    local_day = timezone.localtime(start).date()

    response = admin_client.post(
        f"{CHANGELIST}{code.pk}/change/",
        form_data(
            code=None,
            kind=None,
            value=None,
            active=None,
            valid_from_0=local_day.isoformat(),
            valid_from_1="12:00",
            valid_until_0=(local_day - timedelta(days=1)).isoformat(),
            valid_until_1="12:00",
        ),
    )

    assert field_errors(response)["valid_until"] == [
        "The end of validity must be after its start."
    ]
    code.refresh_from_db()
    assert code.valid_until is None


@pytest.mark.parametrize("campaign_id", ["999999", "2147483648", str(2**70)])
def test_a_campaign_that_does_not_exist_is_refused_at_its_field(
    admin_client, campaign_id
):
    response = admin_client.post(ADD, form_data(campaign_id=campaign_id))

    errors = field_errors(response)["campaign_id"]
    assert errors and "campaign" in errors[0].lower()
    assert not DiscountCode.objects.exists()


def test_a_code_changed_to_name_a_missing_campaign_keeps_its_campaign(admin_client):
    spring = campaign_id()
    code = discount_code("SPRING", "fixed", "5", campaign_id=spring)

    response = admin_client.post(
        f"{CHANGELIST}{code.pk}/change/",
        form_data(
            code=None, kind=None, value=None, active=None, campaign_id=spring + 1
        ),
    )

    assert field_errors(response)["campaign_id"] == [
        f"There is no campaign {spring + 1}."
    ]
    code.refresh_from_db()
    assert code.campaign_id == spring
