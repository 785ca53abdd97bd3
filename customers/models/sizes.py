"""Sizes learned from what a customer bought and kept (``customers.services.sizes``)."""

from django.db import models
from django.utils import timezone


class LearnedSize(models.Model):
    """The size a customer takes in a category, learned from what they bought and
    kept (any channel): the size they kept most often, moved one step by a later
    return as too small or too big. Rewritten from the purchases after each sale and
    each return received (``customers.services.sizes``); a size the customer states
    (``preferences["sizes"]``) is shown before it."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="learned_sizes"
    )
    category = models.ForeignKey(
        "inventory.Category", on_delete=models.PROTECT, related_name="+"
    )
    size = models.CharField(max_length=20)
    kept_size = models.CharField(
        max_length=20, help_text="The size kept most often, before any return moved it."
    )
    units_kept = models.PositiveIntegerField(default=0)
    moved_by = models.CharField(
        max_length=20,
        blank=True,
        help_text="The return reason (too small, too big) that moved it, if one did.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "category"], name="learned_size_once_per_category"
            ),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.size} in {self.category_id}"
