"""The people of the client book tests: two shops, their associates and managers."""

from types import SimpleNamespace

from customers.services.timeline import record_event
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, UserFactory

_serial = iter(range(1, 10**9))


def people() -> SimpleNamespace:
    brera = LocationFactory(name="Brera")
    roma = LocationFactory(name="Roma Centro")
    area = UserFactory(username="area", first_name="Aldo")
    assign_role(user=area, role=Role.AREA_MANAGER, shops=[brera, roma])
    return SimpleNamespace(
        brera=brera,
        roma=roma,
        anna=StaffFactory(
            username="anna", first_name="Anna", last_name="Verdi", store=brera
        ),
        bruno=StaffFactory(
            username="bruno", first_name="Bruno", last_name="Neri", store=brera
        ),
        carla=StaffFactory(
            username="carla", first_name="Carla", last_name="Gialli", store=roma
        ),
        manager=StaffFactory(
            username="marta",
            first_name="Marta",
            last_name="Blu",
            store=brera,
            role=Role.STORE_MANAGER,
        ),
        roma_manager=StaffFactory(
            username="rocco",
            first_name="Rocco",
            last_name="Viola",
            store=roma,
            role=Role.STORE_MANAGER,
        ),
        area=area,
        hq=UserFactory(username="hq", first_name="Hanna", role=Role.HQ),
    )


def client(first_name="Giulia", **kwargs):
    n = next(_serial)
    return make_customer(
        email=f"client{n}@example.com",
        first_name=first_name,
        last_name=kwargs.pop("last_name", f"Bianchi{n}"),
        **kwargs,
    )


def purchase(customer, *, when, location=None, actor=None, number=None, channel=None):
    """What orders writes on the timeline when an order is placed."""
    number = number or f"W{next(_serial):06d}"
    return record_event(
        customer=customer,
        kind="order_placed",
        summary=f"Order {number} placed: 80.00 EUR",
        actor=actor,
        location=location,
        channel=channel or (Channel.STORE if location else Channel.WEB),
        data={"number": number},
        reference_type="order",
        reference_id=number,
        occurred_at=when,
    )


def cancellation(customer, *, number, when, actor=None):
    """What orders writes on the timeline when an order is cancelled."""
    return record_event(
        customer=customer,
        kind="order_cancelled",
        summary=f"Order {number} cancelled",
        actor=actor,
        data={"number": number, "status": "cancelled"},
        reference_type="order",
        reference_id=number,
        occurred_at=when,
    )
