"""A refund keeps where its money went (``Refund.given_as``). Refunds made before it
was kept take it from what they left behind: one that booked the customer's store
credit (its provider reference is a credit given back on the ledger) or whose reason
carries the note of a gift card that could no longer take it ("as store credit: the
gift card … is void") went to store credit; every other one went back to its
payment's own method."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q, Subquery

TENDERS = [
    ("card_online", "Card online"),
    ("card_in_store", "Card in store"),
    ("cash", "Cash"),
    ("gift_card", "Gift card"),
    ("store_credit", "Store credit"),
    ("mobile_wallet", "Mobile wallet"),
    ("loyalty_points", "Loyalty points"),
]
# How ``orders.services.money_back`` notes a refund its payment could not take.
AS_STORE_CREDIT = "as store credit: "


def set_given_as(apps, schema_editor):
    Refund = apps.get_model("orders", "Refund")
    Payment = apps.get_model("orders", "Payment")
    StoreCreditTransaction = apps.get_model("orders", "StoreCreditTransaction")
    credited = StoreCreditTransaction.objects.filter(
        kind="payment_refund", reference=OuterRef("provider_reference")
    )
    noted = Q(reason__startswith=AS_STORE_CREDIT) | Q(
        reason__contains=f"; {AS_STORE_CREDIT}"
    )
    redirected = Q(Exists(credited)) | noted
    Refund.objects.filter(redirected).update(given_as="store_credit")
    method = Payment.objects.filter(pk=OuterRef("payment_id")).values("method")[:1]
    Refund.objects.exclude(redirected).update(given_as=Subquery(method))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0030_delivery_fee_waiver"),
    ]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="given_as",
            field=models.CharField(
                choices=TENDERS,
                default="",
                help_text="Where the money went: the payment's method, or store "
                "credit when the payment could not take it back.",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(set_given_as, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=Q(given_as__in=[value for value, _ in TENDERS]),
                name="refund_given_as_a_tender",
            ),
        ),
    ]
