"""The manager page lists the till sessions and returns of every shop the manager
runs, and each link opens: the Z report and the return page are read from wherever
the manager stands. Acting on a return stays with the desk of the shop that holds
it: read from another shop, its page offers no refund or close, only a switch to
that shop, and an action sent anyway is refused with the reason. An associate
reads only their own shop's, and nobody reads a shop they do not manage."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import Register, Return, ReturnStatus
from orders.services.refunds import return_at_counter
from orders.services.till import open_till
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def milano():
    return shop(code="MI05", name="Milano Porta Nuova")


@pytest.fixture
def torino():
    return shop(code="TO05", name="Torino Lingotto")


@pytest.fixture
def torino_day(torino):
    """A Torino associate opens a till and takes a return at the counter."""
    associate = StaffFactory(store=torino)
    register = Register.objects.create(location=torino, name="Till T1")
    session = open_till(register=register, counts={Decimal("10"): 3}, actor=associate)
    sold = counter_sale(
        store=torino, lines=[(stocked(torino, 5, price="25.00"), 1)], staff=associate
    )
    ret = return_at_counter(
        order=sold.number, lines=[line_request(sold)], location=torino, actor=associate
    )
    return {"session": session, "return": ret}


@pytest.fixture
def area_manager(client, milano, torino):
    """An area manager of both shops, acting for Milano."""
    user = make_approver(
        StaffFactory(store=milano, role=Role.AREA_MANAGER), "Area manager"
    )
    user.shops.add(milano, torino)
    client.force_login(user)
    return client


def test_the_manager_pages_links_to_another_shop_open(area_manager, torino_day):
    session, ret = torino_day["session"], torino_day["return"]
    report_url = reverse("staff:till_report", args=[session.pk])
    return_url = reverse("staff:return_detail", args=[ret.code])
    page = area_manager.get(reverse("staff:manager_day")).content.decode()
    assert f'href="{report_url}"' in page and f'href="{return_url}"' in page

    report = area_manager.get(report_url)
    assert report.status_code == 200
    assert "Torino Lingotto · Till T1" in report.content.decode()

    opened = area_manager.get(return_url)
    assert opened.status_code == 200
    assert ret.code in opened.content.decode()
    receipt = area_manager.get(reverse("staff:return_receipt_print", args=[ret.code]))
    assert receipt.status_code == 200  # the page's "Print refund receipt" link


def test_another_shops_return_is_read_here_and_acted_on_at_its_desk(
    area_manager, torino, torino_day
):
    ret = torino_day["return"]
    assert ret.status == ReturnStatus.REFUNDED  # its desk would offer "Close"
    url = reverse("staff:return_detail", args=[ret.code])

    page = area_manager.get(url).content.decode()
    assert 'data-testid="close"' not in page and 'data-testid="refund"' not in page
    assert 'data-testid="acted-on-elsewhere"' in page
    assert "Switch to Torino Lingotto" in page

    refused = area_manager.post(reverse("staff:return_close", args=[ret.code]))
    assert refused.status_code == 422
    assert "switch to Torino Lingotto to act on it" in refused.content.decode()
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REFUNDED

    switched = area_manager.post(
        reverse("staff:switch_store"), {"store": torino.pk, "next": url}
    )
    assert switched["Location"] == url
    at_torino = area_manager.get(url).content.decode()
    assert 'data-testid="close"' in at_torino
    assert 'data-testid="acted-on-elsewhere"' not in at_torino


def test_hq_opens_a_till_session_of_a_shop_it_is_not_acting_for(
    client, milano, torino_day
):
    barcelona = shop(code="BCN5", name="Barcelona Gràcia", country="ES")
    hq = make_approver(UserFactory(role=Role.HQ), "Headquarters")
    client.force_login(hq)
    client.post(reverse("staff:switch_store"), {"store": barcelona.pk})

    session = torino_day["session"]
    report = client.get(reverse("staff:till_report", args=[session.pk]))

    assert report.status_code == 200
    assert "Torino Lingotto · Till T1" in report.content.decode()


@pytest.mark.parametrize("who", ["associate_of_milano", "manager_of_milano_only"])
def test_anyone_not_managing_the_shop_gets_a_404(client, milano, torino_day, who):
    if who == "associate_of_milano":
        user = StaffFactory(store=milano)
    else:
        user = make_approver(StaffFactory(store=milano, role=Role.STORE_MANAGER))
    client.force_login(user)
    session, ret = torino_day["session"], torino_day["return"]

    assert client.get(reverse("staff:till_report", args=[session.pk])).status_code == (
        404
    )
    assert client.get(reverse("staff:return_detail", args=[ret.code])).status_code == (
        404
    )
    closing = client.post(reverse("staff:return_close", args=[ret.code]))
    assert closing.status_code == 404


def test_an_associate_still_reads_their_own_shops_report(client, torino, torino_day):
    client.force_login(StaffFactory(store=torino))
    session = torino_day["session"]

    report = client.get(reverse("staff:till_report", args=[session.pk]))

    assert report.status_code == 200
