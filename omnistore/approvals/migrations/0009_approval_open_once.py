"""One open request per move of one person (``approval_open_once``).

Taps at the same moment could queue the same request twice or more. Before the
database refuses that, the extra ones already open end expired, saying why in their
note: the one kept is the one the manager approved (the asking screen goes on with
it), else the first asked."""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

OPEN = ("pending", "approved")
SAME_MOVE = (
    "requested_by_id",
    "kind",
    "location_id",
    "subject",
    "summary",
    "amount",
    "currency",
    "reason",
)
CLOSED_NOTE = "Closed: asked again at the same moment as request {}, which stays."


def close_duplicates(apps, schema_editor):
    Approval = apps.get_model("approvals", "Approval")
    rows = Approval.objects.filter(status__in=OPEN).only(
        *SAME_MOVE, "status", "requested_at", "decided_at", "decision_note"
    )
    moves: dict[tuple, list] = {}
    for row in rows.order_by("requested_at", "pk").iterator():
        moves.setdefault(tuple(getattr(row, f) for f in SAME_MOVE), []).append(row)
    now = timezone.now()
    for same in moves.values():
        kept, *extra = sorted(same, key=lambda row: row.status != "approved")
        for row in extra:
            row.status = "expired"
            row.decided_at = row.decided_at or now
            note = CLOSED_NOTE.format(kept.pk)
            row.decision_note = f"{note} {row.decision_note}".strip()[:250]
            row.save(update_fields=["status", "decided_at", "decision_note"])


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0008_pin_hold"),
        ("inventory", "0010_price_lists_markets_and_sellers_kept_in_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(close_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="approval",
            constraint=models.UniqueConstraint(
                models.F("requested_by"),
                models.F("kind"),
                models.F("location"),
                models.F("subject"),
                models.F("summary"),
                models.F("currency"),
                models.F("amount"),
                django.db.models.functions.text.MD5("reason"),
                condition=models.Q(
                    ("amount__isnull", False), ("status__in", ("pending", "approved"))
                ),
                name="approval_open_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="approval",
            constraint=models.UniqueConstraint(
                models.F("requested_by"),
                models.F("kind"),
                models.F("location"),
                models.F("subject"),
                models.F("summary"),
                models.F("currency"),
                django.db.models.functions.text.MD5("reason"),
                condition=models.Q(
                    ("amount__isnull", True), ("status__in", ("pending", "approved"))
                ),
                name="approval_open_once_no_sum",
            ),
        ),
    ]
