"""Staff customer screens: search, 360° view, notes, counter sign-up, merges."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import (
    Customer,
    CustomerEvent,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
    StaffNote,
)
from customers.services.consents import set_consent
from customers.services.erasure import erase_customer
from customers.services.loyalty import earn_points
from customers.services.matching import flag_duplicate, match_customer
from customers.services.merge import merge_customers
from customers.services.profiles import update_profile
from customers.services.timeline import add_note
from omnistore.core.channels import Channel
from omnistore.staff import panels
from omnistore.staff.once import new_token
from tests.customers.factories import make_customer
from tests.factories import (
    CategoryFactory,
    LocationFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory(country="IT")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Sara", last_name="Colombo")


@pytest.fixture
def staff_client(client, associate):
    client.force_login(associate)
    return client


def test_customer_screens_need_a_staff_login(client):
    customer = make_customer(email="x@example.com")
    for url in (
        reverse("staff:customer_search"),
        reverse("staff:customer_detail", args=[customer.pk]),
        reverse("staff:customer_create"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    client.force_login(UserFactory())  # a storefront customer
    assert client.get(reverse("staff:customer_search")).status_code == 302


@pytest.mark.parametrize(
    "typed", ["+39 333 123 4567", "3331234567", "0039 333 1234567"]
)
def test_phone_search_finds_one_number_in_any_format(staff_client, typed):
    customer = make_customer(phone="333 123 4567", first_name="Rita", last_name="Neri")
    make_customer(phone="333 123 4568", first_name="Other", last_name="Person")
    response = staff_client.get(reverse("staff:customer_search"), {"q": typed}, **HTMX)
    assert response.status_code == 200
    assert list(response.context["results"]) == [customer]
    assert "Rita Neri" in response.content.decode()
    assert "<html" not in response.content.decode()  # a fragment for live results


def test_search_by_name_email_and_loyalty_card(staff_client):
    rita = make_customer(
        email="rita.neri@example.com", first_name="Rita", last_name="Neri"
    )
    make_customer(email="marco@example.com", first_name="Marco", last_name="Verdi")
    url = reverse("staff:customer_search")
    for query in (
        "rita",
        "Neri Rita",
        "RITA.NERI@example.com",
        rita.loyalty_number,
        "rita.neri@exam",
    ):
        results = staff_client.get(url, {"q": query}).context["results"]
        assert list(results) == [rita], query
    empty = staff_client.get(url, {"q": "nobody"})
    assert "Create a profile" in empty.content.decode()


def found(client, query) -> list[str]:
    response = client.get(reverse("staff:customer_search"), {"q": query}, **HTMX)
    return sorted(c.full_name for c in response.context["results"])


def test_name_search_ignores_accents_and_case_both_ways(staff_client):
    make_customer(email="l1@example.com", first_name="Lucía", last_name="Fernández")
    make_customer(email="l2@example.com", first_name="Léa", last_name="Barbieri")
    make_customer(email="l3@example.com", first_name="Lea", last_name="Moreau")
    make_customer(email="l4@example.com", first_name="Anne-Sophie", last_name="D'Été")
    make_customer(email="l5@example.com", first_name="Marco", last_name="Verdi")
    lucia, lea = ["Lucía Fernández"], ["Lea Moreau", "Léa Barbieri"]
    for query, names in (
        ("Lucia", lucia),
        ("fernandez", lucia),
        ("FERNÁNDEZ lucía", lucia),
        ("Fernandez, Lucia", lucia),
        ("lea", lea),
        ("Léa", lea),
        ("LÉA moreau", ["Lea Moreau"]),
        ("barbieri lea", ["Léa Barbieri"]),
        ("sophie", ["Anne-Sophie D'Été"]),
        ("d'ete anne", ["Anne-Sophie D'Été"]),
        ("lucas", []),
    ):
        assert found(staff_client, query) == names, query


def test_a_renamed_profile_is_found_by_its_new_name_only(staff_client, associate):
    customer = make_customer(email="zoe@example.com", first_name="Zoe", last_name="Ka")
    update_profile(customer=customer, actor=associate, first_name="Chloé")
    assert found(staff_client, "chloe") == ["Chloé Ka"]
    assert found(staff_client, "zoe") == []


def test_name_search_costs_the_same_queries_for_2_or_8_matches(staff_client):
    def search_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            found(staff_client, "Nicolás")
        return len(queries)

    for n in range(2):
        make_customer(email=f"n{n}@example.com", first_name="Nicolas", last_name="Z")
    few = search_queries()
    for n in range(2, 8):
        make_customer(email=f"n{n}@example.com", first_name="Nicolás", last_name="Z")
    assert len(found(staff_client, "nicolas")) == 8
    assert search_queries() == few


def test_a_merged_profile_found_by_old_identity_shows_the_survivor(
    staff_client, associate
):
    survivor = make_customer(email="s@example.com", first_name="Sam")
    other = make_customer(phone="3330001111", first_name="Sam")
    merge_customers(survivor=survivor, other=other, actor=associate)
    results = staff_client.get(
        reverse("staff:customer_search"), {"q": "333 000 1111"}
    ).context["results"]
    assert list(results) == [survivor]


def test_360_page_shows_identities_consents_preferences_points_and_timeline(
    staff_client, associate, shop
):
    customer = make_customer(
        email="vera@example.com",
        phone="3401112222",
        first_name="Vera",
        last_name="Sala",
    )
    Customer.objects.filter(pk=customer.pk).update(
        preferences={
            "sizes": {"women-shoes": "38"},
            "favourite_categories": ["knitwear"],
        }
    )
    set_consent(
        customer=customer,
        channel="email",
        granted=True,
        source_channel="store",
        location=shop,
    )
    earn_points(customer=customer, points=25, reason="Order W-7", reference_id="W-7")
    response = staff_client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Vera Sala",
        "vera@example.com",
        "+393401112222",
        f"•••• {customer.loyalty_number[-4:]}",
        "women-shoes",
        "38",
        "Order W-7",
        "Email consent granted",
        'data-testid="timeline"',
    ):
        assert text in html, text
    # The whole card number opens the customer's points at the counter: the card
    # shows it, the page does not.
    assert customer.loyalty_number not in html


def test_360_page_names_the_categories_a_customer_likes(staff_client):
    women = CategoryFactory(slug="women", name="Women")
    CategoryFactory(slug="women-knitwear", name="Knitwear", parent=women)
    CategoryFactory(slug="bags", name="Bags")
    customer = make_customer(email="liked@example.com")
    Customer.objects.filter(pk=customer.pk).update(
        preferences={
            "sizes": {"women-knitwear": "M"},
            "favourite_categories": ["bags", "women-knitwear", "retired-slug", 7],
        }
    )
    response = staff_client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    assert response.context["likes"] == ["Bags", "Knitwear (Women)", "retired-slug"]
    assert [row.label for row in response.context["sizes"]] == ["Knitwear (Women)"]
    assert "Bags, Knitwear (Women), retired-slug" in response.content.decode()


def _history(customer, n):
    CustomerEvent.objects.bulk_create(
        [
            CustomerEvent(customer=customer, kind="order_placed", summary=f"Order {i}")
            for i in range(n)
        ]
    )


@pytest.mark.parametrize("history", [3, 40])
def test_360_page_costs_a_fixed_number_of_queries(
    staff_client, associate, django_assert_max_num_queries, history, monkeypatch
):
    """The profile, its cards and the first timeline page; sections of other apps
    (their own fixed cost, pinned by their tests) are left out here."""
    monkeypatch.setattr(panels, "customer_panels", [])
    customer = make_customer(email="q@example.com", phone="3405550000")
    other = make_customer(phone="3405550001")
    flag_duplicate(customer=customer, other=other, reason="same name")
    for i in range(3):
        add_note(customer=customer, text=f"note {i}", actor=associate)
        earn_points(customer=customer, points=1, reason="x", reference_id=str(i))
    _history(customer, history)
    url = reverse("staff:customer_detail", args=[customer.pk])
    with django_assert_max_num_queries(11):  # + the sizes learned
        response = staff_client.get(url)
    assert response.status_code == 200
    total = history + 1 + 3 + 3  # + profile created, notes, points
    rows = response.content.decode().count('class="event ')
    assert rows == min(total, 20)
    assert response.context["page"].has_next is (total > 20)


def test_the_360_header_shows_what_the_points_are_worth(staff_client, settings):
    customer = make_customer(email="w@example.com")
    earn_points(customer=customer, points=1250, reason="Welcome", reference_id="w")
    url = reverse("staff:customer_detail", args=[customer.pk])
    html = staff_client.get(url).content.decode()
    assert '<strong data-testid="points">1250</strong>' in html
    assert "· worth 12.50 EUR" in html

    settings.OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT = 1000
    assert "· worth 1.25 EUR" in staff_client.get(url).content.decode()


def test_load_more_returns_the_next_page_of_the_timeline(staff_client):
    customer = make_customer(email="lm@example.com")
    _history(customer, 30)  # + "profile created" = 31 events
    url = reverse("staff:customer_timeline", args=[customer.pk])
    response = staff_client.get(url, {"page": 2}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="event ') == 11
    assert "Load more" not in html
    assert "Profile created" in html


@pytest.mark.parametrize("page", ["99999999999999999999999", "-5", "x"])
def test_a_page_past_any_is_empty_and_a_bad_one_the_first(staff_client, page):
    customer = make_customer(email="far@example.com")
    url = reverse("staff:customer_timeline", args=[customer.pk])
    response = staff_client.get(url, {"page": page}, **HTMX)
    assert response.status_code == 200
    shown = response.content.decode().count('class="event ')
    assert shown == (0 if len(page) > 3 else 1)  # the first page: "profile created"


def test_merged_id_redirects_to_the_survivor(staff_client, associate):
    survivor = make_customer(email="keep@example.com")
    other = make_customer(email="lose@example.com")
    merge_customers(survivor=survivor, other=other, actor=associate)
    response = staff_client.get(reverse("staff:customer_detail", args=[other.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:customer_detail", args=[survivor.pk])
    assert (
        staff_client.get(reverse("staff:customer_detail", args=[999999])).status_code
        == 404
    )


def test_adding_a_note_shows_it_on_the_timeline_at_once(staff_client, associate, shop):
    customer = make_customer(email="note@example.com")
    url = reverse("staff:customer_add_note", args=[customer.pk])
    sent = {"text": "Collects on Saturdays", "once": new_token()}
    response = staff_client.post(url, sent, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Collects on Saturdays" in html and "Note added" in html
    assert f"by {associate.display_name}" in html and shop.name in html
    note = StaffNote.objects.get(customer=customer)
    assert note.author == associate and note.location == shop


def test_an_empty_note_is_refused_with_422_and_nothing_saved(staff_client):
    customer = make_customer(email="empty@example.com")
    url = reverse("staff:customer_add_note", args=[customer.pk])
    response = staff_client.post(url, {"text": "  ", "once": new_token()}, **HTMX)
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    assert not StaffNote.objects.exists()


def test_a_note_about_an_erased_profile_is_refused_on_the_form_and_not_saved(
    staff_client,
):
    customer = make_customer(email="erased@example.com", first_name="Eva")
    erase_customer(customer=customer)
    url = reverse("staff:customer_add_note", args=[customer.pk])

    sent = {"text": "Collects on Saturdays", "once": new_token()}
    response = staff_client.post(url, sent, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "This profile was erased." in html and "Note added" not in html

    plain = staff_client.post(url, sent, follow=True)
    shown = [str(m) for m in plain.context["messages"]]
    assert shown == ["This profile was erased."]
    assert not StaffNote.objects.exists()


def test_the_note_form_says_the_customer_reads_notes_in_their_export(staff_client):
    customer = make_customer(email="told@example.com")
    page = staff_client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert page.status_code == 200
    help_text = page.context["note_form"]["text"].help_text
    assert "data export" in help_text and help_text in page.content.decode()


def test_counter_sign_up_creates_a_profile_in_the_shop(staff_client, shop, associate):
    response = staff_client.post(
        reverse("staff:customer_create"),
        {
            "first_name": "Lia",
            "last_name": "Fontana",
            "phone": "347 765 4321",
            "email": "",
            "sms_consent": "on",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:customer_detail", args=[customer.pk])
    assert customer.created_channel == Channel.STORE
    assert customer.created_location == shop and customer.phone == "+393477654321"
    assert customer.consents.get(channel="sms").actor == associate


def test_counter_sign_up_of_a_known_phone_opens_the_existing_profile(staff_client):
    known = make_customer(email="known@example.com", phone="3471112222")
    response = staff_client.post(
        reverse("staff:customer_create"),
        {"first_name": "K", "phone": "+39 347 111 2222"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("staff:customer_detail", args=[known.pk])
    assert Customer.objects.count() == 1


def test_counter_sign_up_of_a_known_profile_keeps_a_withdrawn_consent(
    staff_client,
):
    known = make_customer(email="said.no@example.com", phone="3471113333")
    set_consent(
        customer=known, channel="email", granted=False, source_channel=Channel.WEB
    )
    response = staff_client.post(
        reverse("staff:customer_create"),
        {
            "phone": "+39 347 111 3333",
            "email": "said.no@example.com",
            "email_consent": "on",
            "sms_consent": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "had said no to Email messages" in response.content.decode()
    consents = dict(known.consents.values_list("channel", "granted"))
    assert consents == {"email": False, "sms": True}  # SMS had no answer yet


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"phone": "12345"}, "phone", "valid phone number"),
        ({"email": "nope@"}, "email", "valid email"),
        ({"first_name": "Only"}, None, "Give an email or a phone number"),
        (
            {"email": "", "phone": "3471112222", "email_consent": "on"},
            "email_consent",
            "needs an email",
        ),
    ],
)
def test_counter_sign_up_errors_are_clear_and_nothing_is_saved(
    staff_client, data, field, message
):
    response = staff_client.post(reverse("staff:customer_create"), data, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    if field:
        assert f'data-testid="error-{field}"' in html
    assert not Customer.objects.exists()


def test_merge_flow_from_the_duplicates_card(staff_client, associate):
    survivor = make_customer(email="dup@example.com", first_name="Dora")
    other = make_customer(phone="3390001234", first_name="Dora", channel="store")
    match_customer(email="dup@example.com", phone="3390001234", channel="app")
    detail = staff_client.get(reverse("staff:customer_detail", args=[survivor.pk]))
    merge_url = reverse("staff:customer_merge", args=[survivor.pk])
    assert f"{merge_url}?other={other.pk}" in detail.content.decode()
    confirm = staff_client.get(merge_url, {"other": other.pk})
    assert confirm.status_code == 200 and "+393390001234" in confirm.content.decode()
    unconfirmed = staff_client.post(merge_url, {"other": other.pk})
    assert unconfirmed.status_code == 422
    assert not CustomerMerge.objects.exists()
    done = staff_client.post(merge_url, {"other": other.pk, "confirm": "on"})
    assert done.status_code == 302
    other.refresh_from_db()
    assert other.merged_into == survivor
    assert CustomerMerge.objects.get().actor == associate
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.MERGED
    # The merged profile cannot be merged again.
    assert staff_client.get(merge_url, {"other": other.pk}).status_code == 404


def test_an_associate_cannot_merge_a_pair_nobody_flagged(staff_client):
    one = make_customer(email="one@example.com")
    other = make_customer(email="other@example.com")
    merge_url = reverse("staff:customer_merge", args=[one.pk])
    assert staff_client.get(merge_url, {"other": other.pk}).status_code == 404
    sent = staff_client.post(merge_url, {"other": other.pk, "confirm": "on"})
    assert sent.status_code == 404
    other.refresh_from_db()
    assert other.merged_into is None and not CustomerMerge.objects.exists()
    dismissed = flag_duplicate(customer=one, other=other, reason="same name")
    dismiss_url = reverse("staff:customer_duplicate_dismiss", args=[dismissed.pk])
    staff_client.post(dismiss_url, {"customer": one.pk})
    assert staff_client.get(merge_url, {"other": other.pk}).status_code == 404


def test_dismissing_a_duplicate_keeps_both_profiles(staff_client, associate):
    a = make_customer(email="a1@example.com")
    b = make_customer(phone="3390009999")
    candidate = flag_duplicate(customer=a, other=b, reason="same name")
    response = staff_client.post(
        reverse("staff:customer_duplicate_dismiss", args=[candidate.pk]),
        {"customer": a.pk},
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DISMISSED
    assert candidate.resolved_by == associate
    assert Customer.objects.filter(merged_into__isnull=True).count() == 2


@pytest.mark.parametrize("back", ["-1", "abc", "99999999999999999999", "b"])
def test_dismissing_goes_back_to_one_of_the_pair_whatever_was_sent(staff_client, back):
    a = make_customer(email="a2@example.com")
    b = make_customer(phone="3390008888")
    candidate = flag_duplicate(customer=a, other=b, reason="same name")
    sent = str(candidate.customer_b_id) if back == "b" else back
    response = staff_client.post(
        reverse("staff:customer_duplicate_dismiss", args=[candidate.pk]),
        {"customer": sent},
    )
    assert response.status_code == 302
    expected = candidate.customer_b_id if back == "b" else candidate.customer_a_id
    assert response["Location"] == reverse("staff:customer_detail", args=[expected])


def test_staff_nav_links_to_customers(staff_client):
    html = staff_client.get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:customer_search") in html
