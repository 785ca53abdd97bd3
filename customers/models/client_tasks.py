"""The associate's client book: follow-up tasks about their customers.

A task is made from an event (a wished item back in stock, a purchase some days ago,
a birthday coming) or by hand. One task per customer, kind and occurrence (the
restock, the order, the year of the birthday): a generator run twice, or a retried
one, makes nothing new. Every change of a task (made, done, snoozed, reassigned) is a
``ClientTaskChange`` row: who, when, what. Two profiles merged with a task each for
one occurrence keep one: the survivor's; the other is closed, its history saying why.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TaskKind(models.TextChoices):
    RESTOCK = "restock", "Back in stock"
    FOLLOW_UP = "follow_up", "Follow-up after a purchase"
    BIRTHDAY = "birthday", "Birthday"
    MANUAL = "manual", "Manual"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    DONE = "done", "Done"


class ClientTask(models.Model):
    kind = models.CharField(max_length=10, choices=TaskKind.choices)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client_tasks",
    )
    shop = models.ForeignKey(
        "inventory.Location", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    occurrence = models.CharField(
        max_length=64,
        blank=True,
        help_text="What made it (restock:<variant>:<n>, order:<number>, "
        "birthday:<year>); empty for manual tasks.",
    )
    due_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    snoozed_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when made from an event.",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "occurrence"],
                name="client_task_once_per_occurrence",
                condition=~Q(occurrence=""),
            ),
            models.CheckConstraint(
                name="client_task_snooze_has_date",
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False),
            ),
            models.CheckConstraint(
                name="client_task_done_has_time",
                condition=~Q(status="done") | Q(done_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["assignee", "due_on"],
                name="client_task_open_by_assignee",
                condition=~Q(status="done"),
            ),
            models.Index(
                fields=["shop", "due_on"],
                name="client_task_open_by_shop",
                condition=~Q(status="done"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"

    def due_date(self):
        """When it is to be done: the snooze date while snoozed."""
        if self.status == TaskStatus.SNOOZED and self.snoozed_until:
            return self.snoozed_until
        return self.due_on


class TaskAction(models.TextChoices):
    CREATED = "created", "Created"
    DONE = "done", "Done"
    SNOOZED = "snoozed", "Snoozed"
    REASSIGNED = "reassigned", "Reassigned"
    MERGED = "merged", "Folded in a profile merge"


class ClientTaskChange(models.Model):
    """Append-only history of a task."""

    task = models.ForeignKey(
        ClientTask, on_delete=models.CASCADE, related_name="changes"
    )
    action = models.CharField(max_length=12, choices=TaskAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    assignee_before = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee_after = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    snoozed_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        when = timezone.localtime(self.at).strftime("%d %b %Y %H:%M")
        return f"{self.get_action_display()} on {when}"
