"""Back-in-stock and price-drop automations for wishlist items, written as drafts: a
manager reviews the wording and activates them in the admin (nothing is sent before)."""

from datetime import timedelta

from django.db import migrations

AUTOMATIONS = [
    {
        "name": "Back in stock (wishlist)",
        "kind": "back_in_stock",
        "channels": ["email"],
        "trigger_after": timedelta(minutes=15),
        "templates": {
            "email": (
                "{{ wishlist_item.name }} is back",
                "Hi {{ first_name }},\n\n{{ wishlist_item.name }} from your wishlist "
                "is available again"
                "{% if wishlist_item.in_store %}, {{ wishlist_item.in_store }} at "
                "{{ store.name }}{% endif %}.\n\n{{ shop_url }}",
            )
        },
    },
    {
        "name": "Price drop (wishlist)",
        "kind": "price_drop",
        "channels": ["email"],
        "trigger_after": timedelta(days=1),
        "templates": {
            "email": (
                "{{ wishlist_item.name }}: now {{ wishlist_item.price }}",
                "Hi {{ first_name }},\n\n{{ wishlist_item.name }} from your wishlist "
                "is now {{ wishlist_item.price }} instead of "
                "{{ wishlist_item.was_price }} (-{{ wishlist_item.saving_percent }}%)."
                "\n\n{{ shop_url }}",
            )
        },
    },
]


def create(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    MessageTemplate = apps.get_model("campaigns", "MessageTemplate")
    for spec in AUTOMATIONS:
        if Campaign.objects.filter(name=spec["name"]).exists():
            continue
        campaign = Campaign.objects.create(
            name=spec["name"],
            kind=spec["kind"],
            channels=spec["channels"],
            trigger_after=spec["trigger_after"],
            status="draft",
        )
        for channel, (subject, body) in spec["templates"].items():
            MessageTemplate.objects.create(
                campaign=campaign, channel=channel, subject=subject, body=body
            )


def remove(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    names = [spec["name"] for spec in AUTOMATIONS]
    Campaign.objects.filter(name__in=names, status="draft", messages__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_wishlist_automations")]

    operations = [migrations.RunPython(create, remove)]
