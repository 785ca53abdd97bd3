"""An appointment's blocks become the five-minute cells of the clock it touches
(counted from midnight UTC) instead of half hours counted from its own start, so two
overlapping appointments of one associate always share a block, whatever minute
their shops open at. The blocks every appointment holds are written again; going
back writes the half hours from each start, as before.

The rules are copied here, not imported, so that this migration keeps meaning what
it meant when later code changes. Where two appointments of one associate already
overlap, the one booked first keeps the cells they share (either way)."""

from datetime import UTC, datetime, timedelta

from django.db import migrations

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CELL = timedelta(minutes=5)
HALF_HOUR = timedelta(minutes=30)
BATCH = 1000


def clock_cells(starts_at, ends_at):
    at = EPOCH + (starts_at - EPOCH) // CELL * CELL
    while at < ends_at:
        yield at
        at += CELL


def half_hours_from_start(starts_at, ends_at):
    at = starts_at
    while at < ends_at:
        yield at
        at += HALF_HOUR


def _rewrite(apps, starts):
    Appointment = apps.get_model("customers", "Appointment")
    AppointmentBlock = apps.get_model("customers", "AppointmentBlock")
    holding = list(
        Appointment.objects.filter(blocks__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", "associate_id", "starts_at", "ends_at")
    )
    AppointmentBlock.objects.all().delete()  # only the appointments above hold any
    rows = []
    for pk, associate_id, starts_at, ends_at in holding:
        rows.extend(
            AppointmentBlock(
                appointment_id=pk, associate_id=associate_id, starts_at=start
            )
            for start in starts(starts_at, ends_at)
        )
        if len(rows) >= BATCH:
            AppointmentBlock.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    AppointmentBlock.objects.bulk_create(rows, ignore_conflicts=True)


def to_clock_cells(apps, schema_editor):
    _rewrite(apps, clock_cells)


def to_half_hours(apps, schema_editor):
    _rewrite(apps, half_hours_from_start)


class Migration(migrations.Migration):
    dependencies = [("customers", "0020_message_words_off_the_timeline")]

    operations = [migrations.RunPython(to_clock_cells, to_half_hours)]
