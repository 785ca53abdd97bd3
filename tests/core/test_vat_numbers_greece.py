"""Greek VAT numbers are written with ``EL``, as VIES and invoices write them: typed
with ``EL`` or with ``GR`` (Greece's ISO code), a valid number is kept as ``EL…``; a
wrong check digit is refused either way."""

import pytest

from customers.models import Customer
from omnistore.core.exceptions import ValidationFailed
from omnistore.core.vat import check_vat_number, vat_country
from tests.customers.factories import CustomerUserFactory
from tests.customers.test_api_me import signed_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed",
    ["EL094259216", "el 094259216", "EL 094.259.216", "GR094259216", "gr-094259216"],
)
def test_a_greek_number_is_kept_with_the_el_prefix(typed):
    kept = check_vat_number(typed)

    assert kept == "EL094259216"
    assert vat_country(kept) == "GR"


@pytest.mark.parametrize("typed", ["EL094259217", "GR094259217", "EL", "GR"])
def test_a_greek_number_with_a_wrong_check_digit_is_refused(typed):
    with pytest.raises(ValidationFailed) as caught:
        check_vat_number(typed)
    assert caught.value.code == "invalid_vat_number"


@pytest.mark.parametrize("typed", ["EL094259216", "el 094259216", "GR094259216"])
def test_a_greek_business_sets_its_number_on_the_profile(api_client, typed):
    user = CustomerUserFactory()
    client = signed_in(api_client, user)

    response = client.patch(
        "/api/v1/me/",
        {"company_name": "ACME", "vat_number": typed},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["vat_number"] == "EL094259216"
    assert Customer.objects.get(user=user).vat_number == "EL094259216"
