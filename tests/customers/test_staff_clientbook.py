"""My clients: the signed-in associate's clients with recent purchases in any channel,
wishlist news, birthdays, lapsed clients and who is in the shop today; tabs by HTMX;
the 360° card where a client is taken, released or given to someone."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from customers.models import Channel, ClientTask, Customer
from customers.services.clientbook import assign_associate
from customers.services.erasure import erase_customer
from customers.services.tasks import create_manual_task, reassign_task
from customers.services.wishlists import add_wishlist_item
from omnistore.staff.once import new_token
from tests.customers.clientbook_people import cancellation, people, purchase
from tests.customers.clientbook_people import client as new_client
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BOOK = reverse("staff:my_clients")


@pytest.fixture
def team():
    return people()


def client_of(associate, **kwargs):
    customer = new_client(**kwargs)
    assign_associate(customer=customer, associate=associate, actor=associate)
    return customer


def signed_in(django_client, user):
    django_client.force_login(user)
    return django_client


def cards(response) -> dict[str, str]:
    """Customer name -> the text of their card."""
    html = response.content.decode()
    found = {}
    for chunk in html.split('data-testid="client"')[1:]:
        chunk = chunk.split("</article>")[0]
        name = chunk.split("</a></h3>")[0].rsplit(">", 1)[1]
        found[name] = chunk
    return found


def test_my_clients_shows_what_is_new_about_each_of_mine(client, team, settings):
    settings.OMNISTORE_CLIENTBOOK_LAPSED_DAYS = 180
    now = timezone.now()
    here = client_of(team.anna, first_name="Irene", last_name="Shop")
    purchase(here, when=now, location=team.brera, actor=team.anna, number="S000001")
    online = client_of(team.anna, first_name="Olga", last_name="Web")
    purchase(online, when=now - dt.timedelta(days=3), number="W000002")
    add_wishlist_item(
        customer=online,
        variant=VariantFactory(product__name="Silk scarf"),
        channel=Channel.WEB,
    )
    gone = client_of(team.anna, first_name="Gaia", last_name="Gone")
    purchase(gone, when=now - dt.timedelta(days=200))
    born = client_of(team.anna, first_name="Bice", last_name="Born")
    born.birthday = (timezone.localdate() + dt.timedelta(days=5)).replace(year=1988)
    born.save(update_fields=["birthday"])
    client_of(team.bruno, first_name="Bruna", last_name="Other")

    response = signed_in(client, team.anna).get(BOOK)

    assert response.status_code == 200
    shown = cards(response)
    assert set(shown) == {"Irene Shop", "Olga Web", "Gaia Gone", "Bice Born"}
    assert 'data-testid="in-shop"' in shown["Irene Shop"]
    assert "Order S000001" in shown["Irene Shop"]
    assert "Order W000002" in shown["Olga Web"]
    assert "Silk scarf" in shown["Olga Web"]
    assert 'data-testid="lapsed"' in shown["Gaia Gone"]
    assert 'data-testid="lapsed"' not in shown["Irene Shop"]
    assert 'data-testid="birthday"' in shown["Bice Born"]


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("in_shop", {"Irene Shop"}),
        ("purchases", {"Irene Shop", "Olga Web"}),
        ("wishlist", {"Olga Web"}),
        ("lapsed", {"Gaia Gone"}),
        ("nonsense", {"Irene Shop", "Olga Web", "Gaia Gone"}),
    ],
)
def test_tabs_filter_the_clients_as_an_htmx_fragment(client, team, tab, expected):
    now = timezone.now()
    here = client_of(team.anna, first_name="Irene", last_name="Shop")
    purchase(here, when=now, location=team.brera)
    online = client_of(team.anna, first_name="Olga", last_name="Web")
    purchase(online, when=now - dt.timedelta(days=1), location=team.roma)  # not here
    add_wishlist_item(customer=online, variant=VariantFactory(), channel=Channel.WEB)
    gone = client_of(team.anna, first_name="Gaia", last_name="Gone")
    purchase(gone, when=now - dt.timedelta(days=400))

    response = signed_in(client, team.anna).get(BOOK, {"tab": tab}, **HTMX)

    assert response.status_code == 200
    assert b"<html" not in response.content  # the fragment only
    assert set(cards(response)) == expected


def test_an_order_online_for_pickup_at_the_shop_is_no_visit_to_it(client, team):
    now = timezone.now()
    pickup = client_of(team.anna, first_name="Paola", last_name="Pickup")
    purchase(pickup, when=now, location=team.brera, channel=Channel.WEB)

    response = signed_in(client, team.anna).get(BOOK)

    card = cards(response)["Paola Pickup"]
    assert "Order W" in card  # a recent purchase all the same
    assert 'data-testid="in-shop"' not in card


def test_a_cancelled_order_is_no_recent_or_last_purchase(client, team, settings):
    settings.OMNISTORE_CLIENTBOOK_LAPSED_DAYS = 180
    now = timezone.now()
    olga = client_of(team.anna, first_name="Olga", last_name="Web")
    long_ago = now - dt.timedelta(days=200)
    purchase(olga, when=long_ago, number="W000300")
    purchase(olga, when=now - dt.timedelta(days=3), number="W000301")
    cancellation(olga, number="W000301", when=now - dt.timedelta(days=2))
    irene = client_of(team.anna, first_name="Irene", last_name="Shop")
    purchase(irene, when=now - dt.timedelta(days=3), number="W000302")
    staff = signed_in(client, team.anna)

    shown = cards(staff.get(BOOK))

    assert "Order W000301" not in shown["Olga Web"]
    day = dateformat.format(timezone.localtime(long_ago), "j M Y")
    assert f"Last purchase: {day}" in shown["Olga Web"]
    assert 'data-testid="lapsed"' in shown["Olga Web"]
    assert "Order W000302" in shown["Irene Shop"]
    assert set(cards(staff.get(BOOK, {"tab": "purchases"}, **HTMX))) == {"Irene Shop"}


def test_a_clients_open_tasks_are_those_the_associate_sees(client, team):
    """A task handed to someone else, or a colleague's, is not counted on the card:
    the same tasks as on the 360° page and the task list."""
    giulia = client_of(team.anna, first_name="Giulia", last_name="Rossi")
    task = create_manual_task(
        customer=giulia,
        title="Send the lookbook",
        due_on=timezone.localdate(),
        actor=team.anna,
        shop=team.brera,
    )
    create_manual_task(
        customer=giulia,
        title="Bruno's own call",
        due_on=timezone.localdate(),
        actor=team.bruno,
        shop=team.brera,
    )
    staff = signed_in(client, team.anna)
    card = cards(staff.get(BOOK))["Giulia Rossi"]
    assert ">1 open task<" in card

    reassign_task(task=task, to=team.manager, actor=team.anna)

    card = cards(staff.get(BOOK))["Giulia Rossi"]
    assert 'data-testid="open-tasks"' not in card
    page = staff.get(reverse("staff:customer_detail", args=[giulia.pk]))
    assert b"Send the lookbook" not in page.content


def test_my_clients_costs_the_same_queries_for_2_or_12_clients(
    client, team, django_assert_num_queries
):
    def add(n):
        for i in range(n):
            c = client_of(team.anna, first_name=f"C{i}")
            purchase(c, when=timezone.now(), location=team.brera)
            add_wishlist_item(customer=c, variant=VariantFactory(), channel=Channel.WEB)
            ClientTask.objects.create(
                kind="manual",
                customer=c,
                assignee=team.anna,
                shop=team.brera,
                title="Call",
                due_on=timezone.localdate(),
            )

    signed_in(client, team.anna)
    add(2)
    client.get(BOOK)  # the session is warm
    # session, user, the shop for "in the shop today", clients, their events
    with django_assert_num_queries(5):
        assert len(cards(client.get(BOOK))) == 2
    add(10)
    with django_assert_num_queries(5):
        assert len(cards(client.get(BOOK))) == 12


def test_a_manager_opens_a_team_members_book_nobody_else_does(client, team):
    client_of(team.anna, first_name="Irene", last_name="Shop")
    client_of(team.carla, first_name="Rita", last_name="Roma")

    as_manager = signed_in(client, team.manager)
    response = as_manager.get(BOOK, {"associate": team.anna.pk})
    assert response.status_code == 200 and set(cards(response)) == {"Irene Shop"}
    assert b"Clients of Anna Verdi" in response.content
    assert as_manager.get(BOOK, {"associate": team.carla.pk}).status_code == 404
    assert as_manager.get(BOOK, {"associate": "x"}).status_code == 404

    as_bruno = signed_in(client, team.bruno)
    assert as_bruno.get(BOOK, {"associate": team.anna.pk}).status_code == 404
    assert set(cards(as_bruno.get(BOOK))) == set()


def test_the_client_book_needs_a_staff_login(client):
    response = client.get(BOOK)
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The 360° card ------------------------------------------------------------------


def assign_url(customer):
    return reverse("staff:customer_assign", args=[customer.pk])


def test_the_360_page_shows_the_associate_and_open_tasks(client, team):
    giulia = client_of(team.anna)
    ClientTask.objects.create(
        kind="manual",
        customer=giulia,
        assignee=team.anna,
        shop=team.brera,
        title="Send the lookbook",
        due_on=timezone.localdate(),
    )
    response = signed_in(client, team.anna).get(
        reverse("staff:customer_detail", args=[giulia.pk])
    )
    html = response.content.decode()
    assert 'data-testid="client-panel"' in html
    assert "Client of <strong>Anna Verdi</strong> · Brera" in html
    assert "Send the lookbook" in html
    assert 'data-testid="release-client"' in html
    assert 'data-testid="take-client"' not in html


def test_an_associate_takes_then_releases_a_client_by_htmx(client, team):
    giulia = new_client()
    staff = signed_in(client, team.anna)

    taken = staff.post(assign_url(giulia), {"action": "take"}, **HTMX)
    assert taken.status_code == 200
    assert b"Client of <strong>Anna Verdi</strong>" in taken.content
    assert Customer.objects.get(pk=giulia.pk).assigned_associate == team.anna

    released = staff.post(assign_url(giulia), {"action": "release"}, **HTMX)
    assert released.status_code == 200 and b"No associate yet." in released.content
    assert Customer.objects.get(pk=giulia.pk).assigned_associate is None


def test_taking_a_colleagues_client_is_refused_with_422(client, team):
    giulia = client_of(team.bruno)
    response = signed_in(client, team.anna).post(
        assign_url(giulia), {"action": "take"}, **HTMX
    )
    assert response.status_code == 422
    assert b"Already a client of Bruno Neri" in response.content
    assert Customer.objects.get(pk=giulia.pk).assigned_associate == team.bruno
    # Only managers choose whom: an associate's "assign" does not exist.
    other = new_client()
    response = client.post(
        assign_url(other), {"action": "assign", "associate": team.anna.pk}, **HTMX
    )
    assert response.status_code == 404


def test_a_manager_assigns_within_their_team_only(client, team):
    giulia = new_client()
    staff = signed_in(client, team.manager)
    ok = staff.post(
        assign_url(giulia), {"action": "assign", "associate": team.bruno.pk}, **HTMX
    )
    assert ok.status_code == 200
    assert Customer.objects.get(pk=giulia.pk).assigned_associate == team.bruno

    for bad in (team.carla.pk, "999999", "x"):
        refused = staff.post(
            assign_url(giulia), {"action": "assign", "associate": bad}, **HTMX
        )
        assert refused.status_code == 422
    assert Customer.objects.get(pk=giulia.pk).assigned_associate == team.bruno

    cleared = staff.post(
        assign_url(giulia), {"action": "assign", "associate": ""}, **HTMX
    )
    assert cleared.status_code == 200
    assert Customer.objects.get(pk=giulia.pk).assigned_associate is None


def test_unknown_customer_or_action_is_404(client, team):
    staff = signed_in(client, team.anna)
    assert (
        staff.post(
            reverse("staff:customer_assign", args=[999999]), {"action": "take"}
        ).status_code
        == 404
    )
    assert staff.post(assign_url(new_client()), {"action": "steal"}).status_code == 404
    assert staff.get(assign_url(new_client())).status_code == 405


def test_a_task_written_on_the_360_page_is_the_writers(client, team):
    giulia = new_client()
    staff = signed_in(client, team.anna)
    url = reverse("staff:customer_task_create", args=[giulia.pk])
    due = timezone.localdate() + dt.timedelta(days=2)

    sent = {"title": "Call when the coat is in", "due_on": due.isoformat()}
    response = staff.post(url, {**sent, "once": new_token()}, **HTMX)
    assert response.status_code == 200
    task = ClientTask.objects.get()
    assert (task.kind, task.assignee, task.shop, task.due_on) == (
        "manual",
        team.anna,
        team.brera,
        due,
    )
    assert b"Call when the coat is in" in response.content

    refused = staff.post(
        url, {"title": "", "due_on": "soon", "once": new_token()}, **HTMX
    )
    assert refused.status_code == 422 and ClientTask.objects.count() == 1
    far = staff.post(
        url, {"title": "Call", "due_on": "9999-12-31", "once": new_token()}, **HTMX
    )
    assert far.status_code == 422 and ClientTask.objects.count() == 1
    assert b"From today to two years ahead." in far.content


def test_a_task_about_an_erased_client_is_refused_on_the_form(client, team):
    giulia = new_client()
    erase_customer(customer=giulia)
    staff = signed_in(client, team.anna)
    url = reverse("staff:customer_task_create", args=[giulia.pk])
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()

    sent = {"title": "Call", "due_on": due, "once": new_token()}
    response = staff.post(url, sent, **HTMX)
    assert response.status_code == 422
    assert b"This profile was erased." in response.content
    plain = staff.post(url, sent, follow=True)
    assert [str(m) for m in plain.context["messages"]] == ["This profile was erased."]
    assert not ClientTask.objects.exists()
