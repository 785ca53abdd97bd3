"""After an erasure, none of the person's values is left anywhere in the database:
every text and JSON column of every table, read straight from PostgreSQL's catalogue,
so a table no model maps (or a column added by hand) is looked at too."""

import pytest
from django.db import connection

from customers.services.erasure import erase_customer
from tests.customers.personal_data import seed_person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TEXT_TYPES = ("text", "character varying", "jsonb", "json")


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s) "
            "ORDER BY table_name, column_name",
            [list(TEXT_TYPES)],
        )
        return cursor.fetchall()


def values_found(markers: list[str]) -> list[str]:
    """Every (table, column, value) holding one of ``markers``, any case."""
    patterns = [f"%{m}%" for m in markers]
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(
                f'SELECT "{column}"::text FROM "{table}" '  # noqa: S608 - catalogue names
                f'WHERE "{column}"::text ILIKE ANY(%s)',
                [patterns],
            )
            found += [f"{table}.{column}: {row[0][:80]}" for row in cursor.fetchall()]
    return found


def test_no_value_of_an_erased_person_is_left_in_any_text_or_json_column():
    person = seed_person()
    columns = text_columns()
    assert ("customers_customer", "email") in columns
    assert ("core_outboxmessage", "payload") in columns
    before = values_found(person.markers)
    tables = {entry.split(".")[0] for entry in before}
    assert {
        "customers_customer",
        "customers_customerevent",
        "customers_address",
        "customers_customeridentity",
        "customers_customermerge",
        "customers_duplicatecandidate",
        "customers_staffnote",
        "customers_wishlist",
        "customers_wishlistitem",
        "customers_loyaltytransaction",
        "orders_order",
        "orders_fulfilment",
        "orders_orderstatuschange",
        "orders_refund",
        "orders_return",
        "orders_returnline",
        "orders_returnstatuschange",
        "orders_storecredittransaction",
        "campaigns_message",
        "core_outboxmessage",
        "accounts_user",
        "django_admin_log",
    } <= tables

    erase_customer(
        customer=person.customer,
        actor=person.user,
        channel="web",
        forfeit_balance=True,
    )

    assert values_found(person.markers) == []
