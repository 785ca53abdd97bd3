"""The timeline of a message in or out of a customer's thread says who wrote to whom
and about which item, never the words: staff of every shop read the timeline, while
the thread is for its associate and their managers. Events written before held the
message's first 80 characters after a colon ("Message to Giulia Bianchi about Blazer:
Is it back in 42?", "Reply by Email from Giulia Bianchi: Yes, on Friday."); they lose
them here. Going back keeps them off (the words are still in the thread)."""

from django.db import migrations

KINDS = ("message_received", "message_sent")
# How the words were cut for the timeline then (an 80-character excerpt on one line).
EXCERPT = 80
CHUNK = 500


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _without_words(summary: str, body: str | None) -> str:
    """The summary up to the colon that opened the message's words. Summaries were
    cut at 255 characters, so the words may have been cut too; a message no longer
    found takes everything after the first colon away."""
    if body is None:
        return summary.split(": ", 1)[0]
    tail = ": " + _excerpt(body)
    start = summary.find(": ")
    while start != -1:
        if tail.startswith(summary[start:]):
            return summary[:start]
        start = summary.find(": ", start + 1)
    return summary


def _message_id(event) -> int | None:
    data = event.data if isinstance(event.data, dict) else {}
    found = data.get("message_id")
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def drop_message_words(apps, schema_editor):
    CustomerEvent = apps.get_model("customers", "CustomerEvent")
    Message = apps.get_model("customers", "Message")
    events = CustomerEvent.objects.filter(
        kind__in=KINDS, reference_type="conversation", summary__contains=": "
    ).order_by("pk")
    last = 0
    while True:
        chunk = list(events.filter(pk__gt=last).only("summary", "data")[:CHUNK])
        if not chunk:
            return
        last = chunk[-1].pk
        ids = {_message_id(event) for event in chunk} - {None}
        bodies = dict(Message.objects.filter(pk__in=ids).values_list("pk", "body"))
        for event in chunk:
            if _message_id(event) is None:
                continue  # not a message of a thread (or erased: no data left)
            summary = _without_words(event.summary, bodies.get(_message_id(event)))
            if summary != event.summary:
                CustomerEvent.objects.filter(pk=event.pk).update(summary=summary)


class Migration(migrations.Migration):
    dependencies = [("customers", "0019_wishlist_folded_into")]

    operations = [
        migrations.RunPython(drop_message_words, migrations.RunPython.noop),
    ]
