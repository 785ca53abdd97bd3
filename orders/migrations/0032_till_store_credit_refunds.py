"""A till books the store credit its counter gives for goods brought back (a return
refunded as credit, an exchange's return) as a refund with that credit's ledger row
and no cash, once per credit, so its Z report lists it by where the money went.
Credit given before is on no till: a closed session's report never changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0031_refund_given_as"),
    ]

    operations = [
        migrations.AddField(
            model_name="tillmovement",
            name="store_credit",
            field=models.ForeignKey(
                blank=True,
                help_text="Store credit given at this counter for goods brought back.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="till_movements",
                to="orders.storecredittransaction",
            ),
        ),
        migrations.AddConstraint(
            model_name="tillmovement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("store_credit__isnull", False)),
                fields=("store_credit",),
                name="till_store_credit_booked_once",
            ),
        ),
    ]
