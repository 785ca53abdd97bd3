"""Greek VAT numbers saved with ``GR`` before they were kept as ``EL`` (as VIES and
invoices write them) are written ``EL``: one number, one spelling, so a search or
a match by VAT number finds them. Printed invoices keep what they printed."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr


def write_el(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    Customer.objects.filter(vat_number__startswith="GR").update(
        vat_number=Concat(Value("EL"), Substr("vat_number", 3))
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0016_profiles_found_by_their_contact")]

    operations = [migrations.RunPython(write_el, migrations.RunPython.noop)]
