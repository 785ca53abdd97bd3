"""A refund is in the currency of the payment it gives back."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Refund = apps.get_model("orders", "Refund")
    Payment = apps.get_model("orders", "Payment")
    Refund.objects.filter(currency="").update(
        currency=Subquery(
            Payment.objects.filter(pk=OuterRef("payment_id")).values("currency")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_taxes")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
