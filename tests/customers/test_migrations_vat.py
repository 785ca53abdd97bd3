"""Greek VAT numbers saved before ``EL`` was their one spelling."""

from importlib import import_module

import pytest
from django.apps import apps

from customers.models import Customer
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db

write_el = import_module(
    "customers.migrations.0017_greek_vat_numbers_written_el"
).write_el


def test_a_greek_number_saved_with_gr_is_written_el_and_others_stay():
    greek = make_customer(email="gr@example.com")
    italian = make_customer(email="it@example.com")
    Customer.objects.filter(pk=greek.pk).update(vat_number="GR094259216")
    Customer.objects.filter(pk=italian.pk).update(vat_number="IT12345670017")

    write_el(apps, None)

    assert Customer.objects.get(pk=greek.pk).vat_number == "EL094259216"
    assert Customer.objects.get(pk=italian.pk).vat_number == "IT12345670017"
