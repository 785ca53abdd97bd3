"""A legal entity's VAT number is checked like a customer's before it is kept: the
admin's form (and any model form) refuses a wrong one next to the field."""

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory

from inventory.models import LegalEntity

pytestmark = pytest.mark.django_db
EntityForm = modelform_factory(LegalEntity, fields="__all__")
ITALY = {"name": "Omnistore Italia S.r.l.", "address": "Via Dante 7", "country": "IT"}


@pytest.mark.parametrize(
    ("country", "typed", "kept"),
    [
        ("IT", "it 123 456 700 17", "IT12345670017"),
        ("AT", "ATU13585627", "ATU13585627"),
        ("CH", "CHE-116.281.710 MWST", "CHE116281710MWST"),
    ],
)
def test_a_valid_number_of_the_entitys_country_is_kept_compact(country, typed, kept):
    form = EntityForm(data={**ITALY, "country": country, "vat_number": typed})
    assert form.is_valid(), form.errors
    assert form.save().vat_number == kept


@pytest.mark.parametrize(
    ("country", "typed", "message"),
    [
        ("IT", "IT12345670018", "is not a valid VAT number"),
        ("IT", "", "This field is required."),
        ("IT", "ATU13585627", "This is not a VAT number of IT."),
    ],
)
def test_a_wrong_number_is_a_form_error_and_nothing_is_kept(country, typed, message):
    form = EntityForm(data={**ITALY, "country": country, "vat_number": typed})
    assert not form.is_valid()
    assert message in form.errors["vat_number"][0]
    assert not LegalEntity.objects.exists()


def test_full_clean_refuses_a_wrong_number():
    entity = LegalEntity(**ITALY, vat_number="IT00000000000X")
    with pytest.raises(ValidationError) as refused:
        entity.full_clean()
    assert "vat_number" in refused.value.message_dict
