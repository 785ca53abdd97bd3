"""Helpers shared by the staff stock screen tests."""

from inventory.models import StockLevel
from inventory.services.transfers import request_transfer

HTMX = {"HTTP_HX_REQUEST": "true"}


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def login_as(client, user):
    client.force_login(user)
    return client


def open_transfer(source, destination, lines, actor=None):
    return request_transfer(
        source=source, destination=destination, lines=lines, actor=actor
    )
