"""A list a customer merge folded into another (its items joined the survivor's
default list, the list archived) names that list, so its shared link opens it. Merges
made before are read back from their record (``summary["wishlist_folded"]``)."""

import django.db.models.deletion
from django.db import migrations, models


def link_folded_lists(apps, schema_editor):
    CustomerMerge = apps.get_model("customers", "CustomerMerge")
    Wishlist = apps.get_model("customers", "Wishlist")
    merges = CustomerMerge.objects.filter(summary__has_key="wishlist_folded")
    for summary in merges.order_by("pk").values_list("summary", flat=True):
        folded = summary["wishlist_folded"]
        if folded["from"] == folded["into"]:
            continue
        if not Wishlist.objects.filter(pk=folded["into"]).exists():
            continue
        Wishlist.objects.filter(
            pk=folded["from"], archived_at__isnull=False, folded_into__isnull=True
        ).update(folded_into_id=folded["into"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0018_points_owed")]

    operations = [
        migrations.AddField(
            model_name="wishlist",
            name="folded_into",
            field=models.ForeignKey(
                blank=True,
                help_text=(
                    "The list a customer merge moved this one's items to; this "
                    "list's shared link opens that one."
                ),
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="folded_lists",
                to="customers.wishlist",
            ),
        ),
        migrations.AddConstraint(
            model_name="wishlist",
            constraint=models.CheckConstraint(
                condition=models.Q(("folded_into__isnull", True))
                | models.Q(("archived_at__isnull", False)),
                name="wishlist_folded_is_archived",
            ),
        ),
        migrations.RunPython(link_folded_lists, migrations.RunPython.noop),
    ]
