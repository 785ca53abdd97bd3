"""Sales by associate for store managers: each line counts for the associate who
helped sell it (else the cashier), online lines through a wishlist link for that
associate; returns of those sales come off; only the manager's shops (HQ: all);
a CSV of the same figures; a fixed number of queries."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.models import Role
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import pickup_order, shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = pytest.mark.django_db
D = Decimal
URL = reverse("staff:associate_sales")
CSV_URL = reverse("staff:associate_sales_csv")


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def torino():
    return shop(code="TO01", name="Torino Roma")


@pytest.fixture
def people(milano, torino):
    return {
        "carla": StaffFactory(store=milano, first_name="Carla", last_name="Cassa"),
        "giulia": StaffFactory(store=milano, first_name="Giulia", last_name="Bianchi"),
        "paolo": StaffFactory(store=milano, first_name="Paolo", last_name="Verdi"),
        "luca": StaffFactory(store=torino, first_name="Luca", last_name="Neri"),
    }


@pytest.fixture
def sales(milano, torino, people):
    """Milano: a counter sale of 30 (Giulia helped) + 10 (the cashier alone); a
    sale of 20 Giulia helped, returned; online pickups of 40 through Paolo's
    wishlist link and of 50 through nobody's; one of last month. Torino: 100."""
    a, b, c = (stocked(milano, 5, price=p) for p in ("30.00", "10.00", "20.00"))
    counter_sale(
        store=milano,
        lines=[(a, 1), (b, 1)],
        staff=people["carla"],
        helped_by={a.pk: people["giulia"].pk},
    )
    returned = counter_sale(
        store=milano,
        lines=[(c, 1)],
        staff=people["carla"],
        helped_by={c.pk: people["giulia"].pk},
    )
    return_at_counter(
        order=returned.number,
        lines=[line_request(returned)],
        location=milano,
        actor=people["carla"],
    )
    online = stocked(milano, 5, price="40.00")
    pickup_order(
        store=milano, lines=[(online, 1)], helped_by={online.pk: people["paolo"].pk}
    )
    pickup_order(
        store=milano, lines=[(stocked(milano, 5, price="50.00"), 1)], email="x@e.com"
    )
    counter_sale(
        store=milano,
        lines=[(stocked(milano, 5, price="70.00"), 1)],
        staff=people["carla"],
        now=timezone.now() - timedelta(days=40),
    )
    counter_sale(
        store=torino,
        lines=[(stocked(torino, 5, price="100.00"), 1)],
        staff=people["luca"],
    )


def period(days_back=7) -> dict:
    today = timezone.localdate()
    return {"start": str(today - timedelta(days=days_back)), "end": str(today)}


def signed_in_manager(client, store, role=Role.STORE_MANAGER, shops=None):
    user = make_approver(StaffFactory(store=store, role=role))
    if shops:
        user.shops.add(*shops)
    client.force_login(user)
    return client


def table(response) -> dict[str, tuple]:
    report = response.context["report"]
    return {
        row.name: (row.orders, row.units, row.sales, row.returned, row.net)
        for row in report.rows
    }


def test_each_line_counts_for_who_helped_else_the_cashier(client, milano, sales):
    response = signed_in_manager(client, milano).get(URL, period())
    assert response.status_code == 200
    assert table(response) == {
        "Giulia Bianchi": (2, 2, D("50.00"), D("20.00"), D("30.00")),
        "Carla Cassa": (1, 1, D("10.00"), D("0"), D("10.00")),
        "Paolo Verdi": (1, 1, D("40.00"), D("0"), D("40.00")),
        "Online, no associate": (1, 1, D("50.00"), D("0"), D("50.00")),
    }
    (total,) = response.context["report"].totals
    assert (total.sales, total.returned, total.net) == (D("150"), D("20"), D("130"))
    page = response.content.decode()
    assert page.count('data-testid="associate-row"') == 4
    assert "Luca Neri" not in page and "100.00" not in page


def test_a_longer_period_takes_in_older_sales(client, milano, sales):
    response = signed_in_manager(client, milano).get(URL, period(60))
    assert table(response)["Carla Cassa"][2] == D("80.00")


def test_hq_sees_every_shop_and_another_shops_manager_sees_only_theirs(
    client, milano, torino, sales
):
    hq = signed_in_manager(client, None, role=Role.HQ)
    rows = table(hq.get(URL, period()))
    assert "Luca Neri" in rows and "Giulia Bianchi" in rows
    client.logout()
    rows = table(signed_in_manager(client, torino).get(URL, period()))
    assert set(rows) == {"Luca Neri"}


def test_an_associate_is_told_there_is_no_such_page(client, people):
    client.force_login(people["giulia"])
    assert client.get(URL).status_code == 404
    assert client.get(CSV_URL).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-13-01", "end": "2026-01-01"},
        {"start": "2026-05-01", "end": "2026-04-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"start": "x" * 500},
    ],
)
def test_a_bad_period_is_refused_with_a_form_error(client, milano, query):
    response = signed_in_manager(client, milano).get(URL, query)
    assert response.status_code == 422
    assert 'data-testid="form-errors"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-12-06", "end": "2026-01-01"},
        {"start": "2026-13-01", "end": "2026-12-31"},
        {"start": "2026-12-01"},
        {"start": "", "end": ""},
    ],
)
def test_the_csv_of_a_refused_period_is_refused_like_the_page(
    client, milano, sales, query
):
    response = signed_in_manager(client, milano).get(CSV_URL, query)
    assert response.status_code == 422
    assert not response["Content-Type"].startswith("text/csv")
    assert "Content-Disposition" not in response
    assert 'data-testid="form-errors"' in response.content.decode()


def test_the_csv_has_the_same_figures(client, milano, sales):
    response = signed_in_manager(client, milano).get(CSV_URL, period())
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    giulia = next(r for r in rows if r["associate"] == "Giulia Bianchi")
    assert (giulia["orders"], giulia["sales"], giulia["returns"]) == (
        "2",
        "50.00",
        "20.00",
    )
    assert giulia["net_sales"] == "30.00" and giulia["shop"] == "Milano Centro"
    assert rows[-1]["associate"] == "Total" and rows[-1]["net_sales"] == "130.00"


def test_the_page_takes_a_fixed_number_of_queries(
    client, milano, people, django_assert_num_queries
):
    signed_in_manager(client, milano)
    first = stocked(milano, 5, price="12.00")
    counter_sale(store=milano, lines=[(first, 1)], staff=people["carla"])
    client.get(URL, period())

    def count() -> int:
        with django_assert_num_queries(10) as captured:
            client.get(URL, period())
        return len(captured)

    few = count()
    for person in ("carla", "giulia", "paolo"):
        item = stocked(milano, 5, price="12.00")
        counter_sale(
            store=milano,
            lines=[(item, 1)],
            staff=people["carla"],
            helped_by={item.pk: people[person].pk},
        )
    assert count() == few
