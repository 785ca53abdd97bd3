"""The channels a campaign message goes out on (not the sales channels of
``omnistore.core.channels``)."""

from django.db import models


class MessageChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"
