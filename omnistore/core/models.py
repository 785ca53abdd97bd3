from django.db import models


class OutboxMessage(models.Model):
    """A side effect written in the same transaction as the change that causes it.

    A task drains pending rows after commit; a periodic task drains whatever a broker
    outage left behind, so nothing is lost between commit and delivery.
    """

    topic = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(processed_at__isnull=True),
            )
        ]
        ordering = ["id"]

    def __str__(self):
        return f"{self.topic} #{self.pk}"
