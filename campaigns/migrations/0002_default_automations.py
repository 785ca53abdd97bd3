"""The standard automations, written as drafts: a manager reviews the wording and
activates them in the admin (nothing is sent before that)."""

from datetime import timedelta

from django.db import migrations

AUTOMATIONS = [
    {
        "name": "Abandoned cart (4 hours)",
        "kind": "abandoned_cart",
        "channels": ["email"],
        "trigger_after": timedelta(hours=4),
        "templates": {
            "email": (
                "{{ first_name|default:'Hello' }}, your cart is waiting",
                "Hi {{ first_name }},\n\nYou left these in your cart:\n"
                "{% for line in cart.lines %}- {{ line.quantity }} x {{ line.name }}"
                "{% if line.only_left %} (only {{ line.only_left }} left!){% endif %}\n"
                "{% endfor %}\nComplete your order: {{ shop_url }}/cart/",
            )
        },
    },
    {
        "name": "Post-purchase follow-up (3 days)",
        "kind": "post_purchase",
        "channels": ["email"],
        "trigger_after": timedelta(days=3),
        "templates": {
            "email": (
                "How is your order {{ order.number }}?",
                "Hi {{ first_name }},\n\nThank you for order {{ order.number }}. "
                "{% if recommendations %}You might also like:\n"
                "{% for item in recommendations %}- {{ item.name }} ({{ item.price }})\n"
                "{% endfor %}{% endif %}\n{{ shop_url }}",
            )
        },
    },
    {
        "name": "Win-back (90 days)",
        "kind": "win_back",
        "channels": ["email"],
        "trigger_after": timedelta(days=90),
        "templates": {
            "email": (
                "We miss you, {{ first_name|default:'friend' }}",
                "Hi {{ first_name }},\n\nIt has been a while. "
                "{% if store %}{{ store.name }} has new arrivals. {% endif %}"
                "{% if discount_code %}Use {{ discount_code }} on your next order. "
                "{% endif %}\n\n{{ shop_url }}",
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
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
