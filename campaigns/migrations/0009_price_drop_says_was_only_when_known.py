"""The seeded price-drop draft names the price an item was added at only when the
message knows it: a market with a price list of its own has no such price."""

from django.db import migrations

NAME = "Price drop (wishlist)"
BEFORE = (
    "Hi {{ first_name }},\n\n{{ wishlist_item.name }} from your wishlist "
    "is now {{ wishlist_item.price }} instead of "
    "{{ wishlist_item.was_price }} (-{{ wishlist_item.saving_percent }}%)."
    "\n\n{{ shop_url }}"
)
AFTER = (
    "Hi {{ first_name }},\n\n{{ wishlist_item.name }} from your wishlist "
    "is now {{ wishlist_item.price }}{% if wishlist_item.was_price %} instead of "
    "{{ wishlist_item.was_price }} (-{{ wishlist_item.saving_percent }}%)"
    "{% endif %}.\n\n{{ shop_url }}"
)


def rewrite(apps, schema_editor):
    """Only a text nobody has changed since it was seeded."""
    MessageTemplate = apps.get_model("campaigns", "MessageTemplate")
    MessageTemplate.objects.filter(campaign__name=NAME, body=BEFORE).update(body=AFTER)


def restore(apps, schema_editor):
    MessageTemplate = apps.get_model("campaigns", "MessageTemplate")
    MessageTemplate.objects.filter(campaign__name=NAME, body=AFTER).update(body=BEFORE)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0008_message_templates_kept_in_history")]

    operations = [migrations.RunPython(rewrite, restore)]
