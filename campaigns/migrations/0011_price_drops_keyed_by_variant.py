"""A price drop is keyed by the variant (``drop:<variant>:<price>``), no longer by the
wishlist item (``price:<item>:<price>``): a customer who wishes a variant on two lists
hears of its drop once, and the prices they were told of are read back from the keys.

The keys already written are rewritten so (else every drop still on would be told
again). Of two that become one (the variant on two lists) the first message takes it
and the other keeps its old key, which nothing reads back any more; so does one whose
item is gone. Going back gives each key the customer's first item of the variant,
where that key is free."""

from itertools import groupby

from django.db import migrations, models

OLD, NEW = "price", "drop"
BATCH = 1000


def _messages(apps):
    """Price-drop messages in either form, as (pk, campaign, customer, channel, key),
    by campaign, customer and channel (their keys are unique together)."""
    Message = apps.get_model("campaigns", "Message")
    keyed = models.Q(trigger_key__startswith=f"{OLD}:") | models.Q(
        trigger_key__startswith=f"{NEW}:"
    )
    return Message, list(
        Message.objects.filter(keyed, campaign__kind="price_drop")
        .order_by("campaign_id", "customer_id", "channel", "pk")
        .values_list("pk", "campaign_id", "customer_id", "channel", "trigger_key")
    )


def _ids(rows, prefix: str) -> set[int]:
    return {int(row[4].split(":")[1]) for row in rows if row[4].startswith(prefix)}


def _rekey(Message, rows, prefix: str, key_of) -> None:
    """Give each message of ``rows`` whose key starts with ``prefix`` the key
    ``key_of`` makes of it, where no message of its campaign, customer and channel
    holds that key already."""
    changed = []
    for _, group in groupby(rows, key=lambda row: row[1:4]):
        group = list(group)
        taken = {row[4] for row in group}
        for pk, _campaign, customer_id, _channel, key in group:
            if not key.startswith(prefix):
                continue
            new = key_of(customer_id, key)
            if new is not None and new not in taken:
                taken.add(new)
                changed.append(Message(pk=pk, trigger_key=new))
    Message.objects.bulk_update(changed, ["trigger_key"], batch_size=BATCH)


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def key_by_variant(apps, schema_editor):
    Message, rows = _messages(apps)
    WishlistItem = apps.get_model("customers", "WishlistItem")
    variants = {}
    for chunk in _chunks(_ids(rows, f"{OLD}:")):
        variants.update(
            WishlistItem.objects.filter(pk__in=chunk).values_list("pk", "variant_id")
        )

    def key_of(_customer_id, key):
        _, item, price = key.split(":")
        variant = variants.get(int(item))
        return f"{NEW}:{variant}:{price}" if variant else None

    _rekey(Message, rows, f"{OLD}:", key_of)


def key_by_item(apps, schema_editor):
    Message, rows = _messages(apps)
    WishlistItem = apps.get_model("customers", "WishlistItem")
    first = {}
    for chunk in _chunks(_ids(rows, f"{NEW}:")):
        items = (
            WishlistItem.objects.filter(variant_id__in=chunk)
            .values_list("wishlist__customer_id", "variant_id")
            .annotate(item=models.Min("pk"))
            .order_by()
        )
        first.update(((customer, variant), item) for customer, variant, item in items)

    def key_of(customer_id, key):
        _, variant, price = key.split(":")
        item = first.get((customer_id, int(variant)))
        return f"{OLD}:{item}:{price}" if item else None

    _rekey(Message, rows, f"{NEW}:", key_of)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0010_price_list_changes_read_back"),
        ("customers", "0019_wishlist_folded_into"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="trigger_key",
            field=models.CharField(
                blank=True,
                default="",
                help_text=(
                    "What fired an automation (cart:12, order:34, "
                    "restock:<variant>:<n>, drop:<variant>:<price>, "
                    "viewed:<product>:<last view>); empty for broadcasts."
                ),
                max_length=64,
            ),
        ),
        migrations.RunPython(key_by_variant, key_by_item),
    ]
