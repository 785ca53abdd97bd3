"""Managers' admin: search by any identity, consent filter, merge action, read-only history."""

import pytest
from django.contrib.messages import get_messages

from customers.admin import CustomerAdmin
from customers.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
)
from customers.services.consents import set_consent
from customers.services.erasure import erase_customer
from customers.services.matching import match_customer
from customers.services.merge import merge_customers
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/customers/customer/"


@pytest.fixture
def admin_client(client):
    manager = UserFactory(
        username="boss", role=Role.HQ, is_staff=True, is_superuser=True
    )
    client.force_login(manager)
    client.manager = manager
    return client


def _listed(response) -> set[int]:
    return {c.pk for c in response.context["cl"].result_list}


@pytest.mark.parametrize("term", ["+39 333 123 4567", "3331234567", "0039 333 1234567"])
def test_admin_search_finds_a_phone_typed_in_any_format(admin_client, term):
    customer = make_customer(phone="333 123 4567", first_name="Pia")
    make_customer(email="else@example.com")
    response = admin_client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    assert _listed(response) == {customer.pk}


def test_admin_search_by_name_email_loyalty_and_an_old_identity(admin_client):
    customer = make_customer(
        email="pia@example.com", first_name="Pia", last_name="Moro"
    )
    other = make_customer(email="x@example.com", first_name="Ugo")
    for term in ("Moro", "PIA@example.com", customer.loyalty_number):
        assert _listed(admin_client.get(CHANGELIST, {"q": term})) == {customer.pk}, term
    assert other.pk not in _listed(admin_client.get(CHANGELIST, {"q": "pia"}))


@pytest.mark.parametrize("term", ["lucia", "Lucía", "lucia fernandez", "FERNÁNDEZ"])
def test_admin_search_finds_a_name_with_or_without_its_accents(admin_client, term):
    customer = make_customer(
        email="lf@example.com", first_name="Lucía", last_name="Fernández"
    )
    make_customer(email="luca@example.com", first_name="Luca", last_name="Ferri")
    assert _listed(admin_client.get(CHANGELIST, {"q": term})) == {customer.pk}


def test_email_consent_filter(admin_client):
    yes = make_customer(email="yes@example.com")
    no = make_customer(email="no@example.com")
    never = make_customer(email="never@example.com")
    set_consent(customer=yes, channel="email", granted=True, source_channel="web")
    set_consent(customer=no, channel="email", granted=False, source_channel="web")
    assert _listed(admin_client.get(CHANGELIST, {"email_consent": "granted"})) == {
        yes.pk
    }
    assert _listed(admin_client.get(CHANGELIST, {"email_consent": "withdrawn"})) == {
        no.pk
    }
    assert never.pk in _listed(admin_client.get(CHANGELIST, {"email_consent": "never"}))
    channel = admin_client.get(CHANGELIST, {"created_channel__exact": Channel.WEB})
    assert _listed(channel) == {yes.pk, no.pk, never.pk}


def test_merge_action_merges_exactly_two_and_the_oldest_survives(admin_client):
    older = make_customer(email="older@example.com", first_name="Old")
    newer = make_customer(phone="3336667777", first_name="New")
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "merge_selected",
            "_selected_action": [newer.pk, older.pk],
            "confirm": "yes",
        },
        follow=True,
    )
    assert response.status_code == 200
    newer.refresh_from_db()
    assert newer.merged_into == older
    merge = CustomerMerge.objects.get()
    assert merge.survivor == older and merge.actor == admin_client.manager
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "merged into" in text


def test_hq_erases_a_customer_after_reading_who_on_a_confirmation_page(client):
    hq = UserFactory(username="hq", role=Role.HQ, is_staff=True)
    client.force_login(hq)
    shopper = make_customer(email="ida.gone@example.com", first_name="Ida")
    kept = make_customer(email="kept@example.com", first_name="Kept")
    asked = {"action": "erase_selected", "_selected_action": [shopper.pk]}

    page = client.post(CHANGELIST, asked)
    assert page.status_code == 200
    assert "ida.gone@example.com" in page.content.decode()
    shopper.refresh_from_db()
    assert not shopper.is_anonymised  # nothing before the confirmation

    done = client.post(
        CHANGELIST,
        {**asked, "confirm": "erase", "reason": "Letter of 2 March, ref. PR-118"},
        follow=True,
    )
    assert done.status_code == 200
    shopper.refresh_from_db()
    kept.refresh_from_db()
    assert shopper.is_anonymised and shopper.email == "" and shopper.first_name == ""
    assert not kept.is_anonymised
    text = " ".join(str(m) for m in get_messages(done.wsgi_request))
    assert "Erased the personal data of 1 customer" in text


def test_erasing_customers_no_longer_there_asks_nothing(client):
    """Posted with profiles that are gone since the list was drawn, the erasure
    draws no page asking to confirm it: back to the list, told why."""
    client.force_login(UserFactory(username="hq3", role=Role.HQ, is_staff=True))
    gone = make_customer(email="gone@example.com").pk + 1000

    response = client.post(
        CHANGELIST, {"action": "erase_selected", "_selected_action": [gone]}
    )

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    notes = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert notes == [
        (
            "warning",
            "None of the selected customers exists any more. No items have been "
            "changed.",
        )
    ]


def test_erasing_a_merged_profile_names_and_erases_its_live_person(client):
    hq = UserFactory(username="hq2", role=Role.HQ, is_staff=True)
    client.force_login(hq)
    login = CustomerUserFactory(email="xena@example.com", first_name="Xena")
    live = login.customer_profile
    stub = make_customer(phone="3335550000", first_name="Old")
    merge_customers(survivor=live, other=stub, actor=hq)
    asked = {"action": "erase_selected", "_selected_action": [stub.pk]}

    page = client.post(CHANGELIST, asked).content.decode()
    assert f"#{live.pk}" in page and "signs in as xena@example.com" in page
    assert f"#{stub.pk}" in page  # among the profiles merged into it

    client.post(CHANGELIST, {**asked, "confirm": "erase", "reason": "Ticket 4471"})
    live.refresh_from_db()
    login.refresh_from_db()
    assert live.is_anonymised and not login.is_active


def test_a_store_manager_has_no_erase_action(client):
    shop = make_customer(email="x@example.com")
    manager = StaffFactory(username="sm", role=Role.STORE_MANAGER, is_staff=True)
    client.force_login(manager)
    client.post(
        CHANGELIST,
        {"action": "erase_selected", "_selected_action": [shop.pk], "confirm": "erase"},
    )
    shop.refresh_from_db()
    assert not shop.is_anonymised


def test_merge_action_refuses_anything_but_two(admin_client):
    customers = [make_customer(email=f"m{i}@example.com") for i in range(3)]
    response = admin_client.post(
        CHANGELIST,
        {"action": "merge_selected", "_selected_action": [c.pk for c in customers]},
        follow=True,
    )
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "exactly two" in text
    assert not Customer.objects.filter(merged_into__isnull=False).exists()


def test_duplicate_candidates_list_and_merge_pairs_action(admin_client):
    a = make_customer(email="pair@example.com")
    b = make_customer(phone="3331110000", channel=Channel.STORE)
    match_customer(email="pair@example.com", phone="3331110000", channel="app")
    candidate = DuplicateCandidate.objects.get()
    listing = admin_client.get("/admin/customers/duplicatecandidate/")
    assert listing.status_code == 200 and "pair" in listing.content.decode().lower()
    admin_client.post(
        "/admin/customers/duplicatecandidate/",
        {
            "action": "merge_pairs",
            "_selected_action": [candidate.pk],
            "confirm": "yes",
        },
        follow=True,
    )
    b.refresh_from_db()
    candidate.refresh_from_db()
    assert b.merged_into == a and candidate.status == DuplicateStatus.MERGED


def _change_data(page, customer, **changes):
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"birthday": "", "preferred_store": "", "preferences": "{}"})
    data.update(changes)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for i, inline_form in enumerate(formset.forms):
            data[f"{formset.prefix}-{i}-id"] = inline_form.instance.pk
            data[f"{formset.prefix}-{i}-customer"] = customer.pk
    return data


def test_profile_edit_goes_through_the_service_and_lands_on_the_timeline(admin_client):
    customer = make_customer(email="edit@example.com", first_name="Ann")
    url = f"{CHANGELIST}{customer.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    response = admin_client.post(
        url, _change_data(page, customer, first_name="Anna", last_name="")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.first_name == "Anna"
    event = CustomerEvent.objects.get(customer=customer, kind="profile_updated")
    # What it was is kept, so a correction can be checked and undone.
    assert event.summary == (
        "Profile updated: first name Ann → Anna, last name Bianchi → (none)"
    )
    assert event.data["before"] == {"first_name": "Ann", "last_name": "Bianchi"}
    assert event.data["after"] == {"first_name": "Anna", "last_name": ""}
    assert event.actor is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birthday", "2999-01-01"),
        ("birthday", "0001-01-01"),
        ("birthday", "1899-12-31"),
        ("preferences", "1"),
        ("preferences", '"s"'),
        ("preferences", '{"sizes": 5}'),
        ("preferences", '{"favourite_categories": "x"}'),
        ("preferences", "[" * 3000 + "]" * 3000),
    ],
)
def test_a_bad_profile_edit_is_a_form_error_and_changes_nothing(
    admin_client, field, value
):
    customer = make_customer(email="bad@example.com", first_name="Ann")
    url = f"{CHANGELIST}{customer.pk}/change/"
    page = admin_client.get(url)
    data = _change_data(page, customer, first_name="Anna", **{field: value})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.first_name == "Ann" and customer.birthday is None


@pytest.mark.parametrize("value", ["[]", "null", "", '"{}"'])
def test_preferences_that_are_not_an_object_are_a_field_error_never_a_wipe(
    admin_client, value
):
    CategoryFactory(slug="shoes")
    customer = make_customer(email="prefs@example.com", first_name="Ann")
    kept = {"sizes": {"shoes": "42"}, "favourite_categories": ["shoes"]}
    Customer.objects.filter(pk=customer.pk).update(preferences=kept)
    url = f"{CHANGELIST}{customer.pk}/change/"
    page = admin_client.get(url)
    response = admin_client.post(
        url, _change_data(page, customer, first_name="Anna", preferences=value)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["preferences"] == ["Must be an object."]
    customer.refresh_from_db()
    assert customer.preferences == kept and customer.first_name == "Ann"


def test_an_empty_preferences_object_clears_them(admin_client):
    CategoryFactory(slug="shoes")
    customer = make_customer(email="clear@example.com")
    Customer.objects.filter(pk=customer.pk).update(
        preferences={"sizes": {"shoes": "42"}, "favourite_categories": []}
    )
    url = f"{CHANGELIST}{customer.pk}/change/"
    page = admin_client.get(url)
    response = admin_client.post(url, _change_data(page, customer, preferences="{}"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.preferences == {"sizes": {}, "favourite_categories": []}


def _erased(**kwargs) -> Customer:
    customer = make_customer(**kwargs)
    erase_customer(customer=customer)
    return Customer.objects.get(pk=customer.pk)


def _with_a_new_address(data: dict) -> dict:
    prefix = "addresses"
    data = {**data, f"{prefix}-TOTAL_FORMS": 1, f"{prefix}-INITIAL_FORMS": 0}
    data.update(
        {
            f"{prefix}-0-label": "Home",
            f"{prefix}-0-name": "Ida Back",
            f"{prefix}-0-line1": "Via Roma 1",
            f"{prefix}-0-postcode": "20121",
            f"{prefix}-0-city": "Milano",
            f"{prefix}-0-country": "IT",
            f"{prefix}-0-phone": "+393331234567",
        }
    )
    return data


def test_an_erased_profile_opens_read_only_in_admin(admin_client):
    customer = _erased(email="erased@example.com", first_name="Eva")
    page = admin_client.get(f"{CHANGELIST}{customer.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="first_name"' not in html and 'name="_save"' not in html
    for inline in page.context["inline_admin_formsets"]:
        assert not inline.has_add_permission, inline.opts
        assert not inline.has_change_permission, inline.opts
        assert not inline.has_delete_permission, inline.opts


def test_saving_an_erased_profile_in_admin_is_refused_and_writes_nothing(
    admin_client,
):
    customer = _erased(email="erased@example.com", first_name="Eva")
    url = f"{CHANGELIST}{customer.pk}/change/"
    data = _with_a_new_address({"first_name": "Ida", "preferences": "{}"})
    response = admin_client.post(url, data)
    assert response.status_code == 403
    assert not Address.objects.filter(customer=customer).exists()
    assert Customer.objects.get(pk=customer.pk).first_name != "Ida"


def test_a_profile_erased_while_its_admin_page_was_open_is_not_saved(
    admin_client, monkeypatch
):
    """The page was opened, the profile erased, then the form saved: the save is
    refused as the page would now be, not a server error, and no address lands."""
    customer = make_customer(email="late@example.com", first_name="Eva")
    url = f"{CHANGELIST}{customer.pk}/change/"
    page = admin_client.get(url)
    data = _with_a_new_address(_change_data(page, customer, first_name="Ida"))
    erase_customer(customer=customer)
    monkeypatch.setattr(
        CustomerAdmin, "has_change_permission", lambda self, request, obj=None: True
    )
    response = admin_client.post(url, data)
    assert response.status_code == 403
    assert not Address.objects.filter(customer=customer).exists()
    assert Customer.objects.get(pk=customer.pk).first_name != "Ida"


def test_timeline_events_are_read_only_in_admin(admin_client):
    customer = make_customer(email="ro@example.com")
    event = CustomerEvent.objects.filter(customer=customer).first()
    assert admin_client.get("/admin/customers/customerevent/").status_code == 200
    assert admin_client.get("/admin/customers/customerevent/add/").status_code == 403
    page = admin_client.get(f"/admin/customers/customerevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="summary"' not in page.content.decode()
    assert admin_client.get("/admin/customers/customer/add/").status_code == 403


def test_a_merged_profile_opens_read_only_and_a_save_writes_neither_profile(
    admin_client,
):
    """A merged profile is a pointer to the one it became: its page shows what it
    was, and a form posted to it changes neither it nor the survivor."""
    survivor = make_customer(email="kept@example.com", last_name="Greco")
    merged = make_customer(phone="333 111 2222", last_name="Greco")
    merge_customers(survivor=survivor, other=merged, actor=admin_client.manager)
    url = f"{CHANGELIST}{merged.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="last_name"' not in html and 'name="_save"' not in html
    response = admin_client.post(url, {"last_name": "Hijacked", "preferences": "{}"})
    assert response.status_code == 403
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert (survivor.last_name, merged.last_name) == ("Greco", "Greco")
    assert not CustomerEvent.objects.filter(kind="profile_updated").exists()


def test_a_profile_merged_while_its_admin_page_was_open_is_not_saved(
    admin_client, monkeypatch
):
    survivor = make_customer(email="kept@example.com", last_name="Greco")
    merged = make_customer(phone="333 111 2222", last_name="Greco")
    url = f"{CHANGELIST}{merged.pk}/change/"
    page = admin_client.get(url)
    data = _change_data(page, merged, last_name="Hijacked")
    merge_customers(survivor=survivor, other=merged, actor=admin_client.manager)
    monkeypatch.setattr(
        CustomerAdmin, "has_change_permission", lambda self, request, obj=None: True
    )
    response = admin_client.post(url, data)
    assert response.status_code == 403
    survivor.refresh_from_db()
    assert survivor.last_name == "Greco"
