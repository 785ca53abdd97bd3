"""Appointments at a shop: a styling or fitting session with one associate.

A shop takes appointments within its ``AppointmentHours`` (one span per weekday), with
the associates listed as ``AppointmentStaff``. Each associate sees one customer at a
time, so a slot's capacity is the number of those associates free for its whole length.

The database keeps an associate from being booked twice: an appointment occupies one
``AppointmentBlock`` per cell of the clock it touches (``BLOCK_MINUTES`` long, counted
from midnight UTC, the same cells for every shop whatever minute it opens at), and
(associate, start of the block) is unique, so two overlapping appointments of one
associate always meet in a cell. A cancelled appointment gives its blocks back; the
appointment row stays.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from omnistore.core.channels import Channel


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


CLOSES_AFTER_OPENING = "Closing time must be after opening time."
# The cells of the clock an associate's time is held in (``AppointmentBlock``). Hours
# on these marks make every slot start and end on a cell's edge, so back to back
# appointments share no cell. Changing it needs the blocks rewritten (a migration).
BLOCK_MINUTES = 5
OFF_THE_BLOCK_GRID = f"Use a time on the {BLOCK_MINUTES} minutes (10:00, 10:15, 10:20)."


class AppointmentHours(models.Model):
    """When a shop takes appointments on a weekday, in the shop's local time. A
    weekday without a row is closed for appointments."""

    location = models.ForeignKey(
        "inventory.Location", on_delete=models.CASCADE, related_name="appointment_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location", "weekday"]
        verbose_name_plural = "appointment hours"
        constraints = [
            models.UniqueConstraint(
                fields=["location", "weekday"], name="appointment_hours_one_per_day"
            ),
            models.CheckConstraint(
                name="appointment_hours_open_before_close",
                condition=Q(closes__gt=F("opens")),
                violation_error_message=CLOSES_AFTER_OPENING,
            ),
            models.CheckConstraint(
                name="appointment_hours_weekday_range",
                condition=Q(weekday__gte=0, weekday__lte=6),
                violation_error_message="Choose a day from Monday to Sunday.",
            ),
        ]

    def __str__(self):
        return (
            f"{self.location.name}, {self.get_weekday_display()} "
            f"{self.opens:%H:%M}–{self.closes:%H:%M}"
        )

    def clean(self):
        """A time off the block grid is said at its field, closing before opening at
        the closing time (the constraint alone would speak of the whole form); the
        weekday is a choice, refused at its field by the form."""
        super().clean()
        errors = {
            name: OFF_THE_BLOCK_GRID
            for name, value in (("opens", self.opens), ("closes", self.closes))
            if value is not None and not on_block_grid(value)
        }
        both = self.opens is not None and self.closes is not None
        if both and self.closes <= self.opens:
            errors.setdefault("closes", CLOSES_AFTER_OPENING)
        if errors:
            raise ValidationError(errors)


def on_block_grid(value) -> bool:
    """A time of day on a block's edge: whole minutes, on the ``BLOCK_MINUTES``."""
    return (value.minute % BLOCK_MINUTES, value.second, value.microsecond) == (0, 0, 0)


class AppointmentStaff(models.Model):
    """An associate who takes appointments at a shop (one customer at a time)."""

    location = models.ForeignKey(
        "inventory.Location", on_delete=models.CASCADE, related_name="appointment_staff"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="appointment_shops",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "user"]
        verbose_name_plural = "appointment staff"
        constraints = [
            models.UniqueConstraint(
                fields=["location", "user"], name="appointment_staff_unique"
            )
        ]

    def __str__(self):
        return f"{self.user} at {self.location.name}"


class AppointmentKind(models.TextChoices):
    STYLING = "styling", "Styling"
    FITTING = "fitting", "Fitting"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


class AppointmentChannel(models.TextChoices):
    WEB = Channel.WEB.value, Channel.WEB.label
    APP = Channel.APP.value, Channel.APP.label
    STORE = Channel.STORE.value, Channel.STORE.label
    PHONE = Channel.PHONE.value, Channel.PHONE.label


class Appointment(models.Model):
    """One booking: who, where, with whom, when; every step stamped with who and
    when. Changed only by ``customers.services.appointments``."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey(
        "inventory.Location", on_delete=models.PROTECT, related_name="appointments"
    )
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_to_attend",
    )
    kind = models.CharField(max_length=10, choices=AppointmentKind.choices)
    status = models.CharField(
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    channel = models.CharField(max_length=10, choices=AppointmentChannel.choices)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    arrived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was marked completed or a no-show."
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="appointment_ends_after_start",
                condition=Q(ends_at__gt=F("starts_at")),
            ),
        ]
        indexes = [
            models.Index(fields=["location", "starts_at"], name="appointment_shop_day"),
            models.Index(
                fields=["associate", "starts_at"], name="appointment_associate_day"
            ),
            models.Index(fields=["customer", "starts_at"], name="appointment_customer"),
            models.Index(
                fields=["starts_at"],
                name="appointment_reminder_due",
                condition=Q(status="booked", reminder_sent_at__isnull=True),
            ),
        ]

    def __str__(self):
        when = timezone.localtime(self.starts_at).strftime("%d %b %Y %H:%M")
        return f"{self.get_kind_display()} with {self.customer}, {when}"


class AppointmentBlock(models.Model):
    """One ``BLOCK_MINUTES`` cell of the clock of an associate's time taken by an
    appointment; unique per (associate, start), so two bookings can never hold the
    same associate at once."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="blocks"
    )
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()

    class Meta:
        ordering = ["associate", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["associate", "starts_at"], name="appointment_block_unique"
            )
        ]

    def __str__(self):
        return f"{self.associate_id} @ {self.starts_at:%Y-%m-%d %H:%M}"
