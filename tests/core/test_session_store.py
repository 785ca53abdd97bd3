"""Two requests of one browser that overlap each keep their own change to the
session (a tablet scanning an item while the customer form is sent)."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore

from omnistore.core.session_store import SessionStore

pytestmark = pytest.mark.django_db


def started_session(**values) -> str:
    session = SessionStore()
    session.update(values)
    session.create()
    return session.session_key


def test_overlapping_requests_each_keep_their_change():
    key = started_session(register=3)
    scan, customer = SessionStore(key), SessionStore(key)
    assert scan["register"] == customer["register"] == 3  # both read the same row

    scan["sale_cart_token"] = "cart-1"
    customer["sale_customer"] = {"id": 7}
    scan.save()
    customer.save()

    stored = SessionStore(key)
    assert stored["sale_cart_token"] == "cart-1"
    assert stored["sale_customer"] == {"id": 7}
    assert stored["register"] == 3


def test_the_same_overlap_loses_a_change_when_sessions_are_saved_whole():
    key = started_session(register=3)
    scan, customer = DjangoSessionStore(key), DjangoSessionStore(key)
    scan["register"], customer["register"] = 3, 3
    scan["sale_cart_token"] = "cart-1"
    customer["sale_customer"] = {"id": 7}
    scan.save()
    customer.save()

    assert "sale_cart_token" not in SessionStore(key)  # what the store above prevents


def test_a_key_removed_by_one_request_stays_removed():
    key = started_session(sale_cart_token="cart-1", sale_customer={"id": 7})
    ending, reading = SessionStore(key), SessionStore(key)
    assert ending["sale_cart_token"] == reading["sale_cart_token"]

    ending.pop("sale_cart_token")
    del ending["sale_customer"]
    reading["sale_mode"] = "delivery"
    ending.save()
    reading.save()

    stored = SessionStore(key)
    assert "sale_cart_token" not in stored and "sale_customer" not in stored
    assert stored["sale_mode"] == "delivery"


def test_a_later_value_of_the_same_key_wins():
    key = started_session(sale_mode="carry_out")
    first, second = SessionStore(key), SessionStore(key)
    first["sale_mode"], second["sale_mode"] = "delivery", "pickup"
    first.save()
    second.save()

    assert SessionStore(key)["sale_mode"] == "pickup"


def test_a_session_signed_out_meanwhile_is_not_brought_back():
    key = started_session(_auth_user_id="5")
    signing_out, late = SessionStore(key), SessionStore(key)
    late["sale_mode"] = "delivery"
    signing_out.flush()

    with pytest.raises(UpdateError):
        late.save()
    assert not SessionStore().exists(key)


def test_a_cleared_session_is_written_whole():
    key = started_session(sale_cart_token="cart-1", register=3)
    session = SessionStore(key)
    session.clear()
    session["register"] = 4
    session.save()

    stored = SessionStore(key)
    assert stored.get("sale_cart_token") is None
    assert stored["register"] == 4


def test_signed_in_requests_use_this_store(client, django_user_model):
    user = django_user_model.objects.create_user("someone", password="x" * 12)
    client.force_login(user)

    assert isinstance(client.session, SessionStore)
