"""An order line keeps a price set at the counter: the shelf price it replaced, why
(as typed then) and the manager's approval that let it through, so the order, its
receipt and its till's Z report still tell it once the basket is gone. Lines sold
before have none."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0008_pin_hold"),
        ("orders", "0032_till_store_credit_refunds"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="price_approval",
            field=models.ForeignKey(
                blank=True,
                help_text="The manager's approval of the price set at the counter.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="priced_order_lines",
                to="approvals.approval",
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="price_reason",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Why the price was set at the counter, as typed then.",
                max_length=250,
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="shelf_price",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="The shelf price when the price was set at the counter.",
                max_digits=10,
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("shelf_price__isnull", True),
                    ("shelf_price__gt", 0),
                    _connector="OR",
                ),
                name="order_line_shelf_price_gt_0",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("shelf_price__isnull", False),
                    models.Q(("price_approval__isnull", True), ("price_reason", "")),
                    _connector="OR",
                ),
                name="order_line_price_set_has_shelf_price",
            ),
        ),
    ]
