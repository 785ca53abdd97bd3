import re

from django.core.management.base import BaseCommand
from django.urls import URLPattern, URLResolver, get_resolver

from customers.services.accounts import current_token
from inventory.demo.staff import DEMO_PASSWORD, STAFF
from omnistore.accounts.models import Role, User
from omnistore.approvals.demo import DEMO_PINS
from omnistore.approvals.models import ApprovalPin

PAGES = [
    ("Staff UI (shops, tablet)", "staff/"),
    ("Admin (managers)", "admin/"),
    ("API docs (Swagger UI)", "api/docs/"),
    ("OpenAPI schema", "api/schema/"),
]
DEMO_CUSTOMER_EMAIL = "customer@example.com"


def api_routes(prefix: str = "api/v1/") -> list[str]:
    """First path segments served under the API prefix, e.g. ``["me", "products"]``."""

    def walk(patterns):
        for entry in patterns:
            text = str(entry.pattern).lstrip("^")
            if isinstance(entry, URLResolver) and not text:
                yield from walk(entry.url_patterns)
            elif isinstance(entry, URLPattern | URLResolver):
                match = re.match(r"[A-Za-z0-9_-]+", text)
                if match:
                    yield match.group(0)

    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and str(entry.pattern) == prefix:
            return sorted(set(walk(entry.url_patterns)))
    return []


def demo_customer() -> User | None:
    customers = User.objects.filter(
        role=Role.CUSTOMER, is_active=True, is_superuser=False
    )
    return (
        customers.filter(email__iexact=DEMO_CUSTOMER_EMAIL).first()
        or customers.order_by("id").first()
    )


def login_line(user: User) -> str:
    """The role, the shops and the doors of one demo login."""
    role = user.role_label
    shops = sorted(shop.name for shop in user.shops.all())
    where = "all shops" if user.sees_all_stores else ", ".join(shops) or "no shop"
    doors = ["staff UI"] if user.is_store_staff else []
    if user.is_staff:
        doors.append("/admin/")
    return f"{role} · {where} · {' and '.join(doors)}"


class Command(BaseCommand):
    help = "Print where the demo runs and how to sign in (only what exists)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options):
        everywhere = host in ("0.0.0.0", "::")
        base = f"http://{'127.0.0.1' if everywhere else host}:{port}"
        out = self.stdout.write
        out("")
        out(self.style.MIGRATE_HEADING(f"Omnistore is served at {base}/"))
        if everywhere:
            out(f"  (on every interface: from elsewhere, this machine's name:{port})")
        for label, path in PAGES:
            out(f"  {label:<26} {base}/{path}")
        routes = api_routes()
        if routes:
            listed = ", ".join(f"{r}/" for r in routes)
            out(f"  {'Storefront API':<26} {base}/api/v1/  ({listed})")

        order = {username: i for i, (username, *_rest) in enumerate(STAFF)}
        staff = sorted(
            User.objects.filter(username__in=order, is_active=True).prefetch_related(
                "shops"
            ),
            key=lambda user: order[user.username],
        )
        if staff:
            out("")
            out(
                self.style.MIGRATE_HEADING(
                    f"Logins by role (password: {DEMO_PASSWORD})"
                )
            )
            for user in staff:
                out(f"  {user.username:<22} {login_line(user)}")
            out(f"  Staff UI: {base}/staff/login/ · admin: {base}/admin/")
            pins = ApprovalPin.objects.filter(user__username__in=DEMO_PINS)
            listed = ", ".join(
                f"{pin.user.username} {DEMO_PINS[pin.user.username][1]}"
                for pin in pins.select_related("user").order_by("user__username")
            )
            if listed:
                out(f"  Approval PINs (typed on an associate's screen): {listed}")

        customer = demo_customer()
        if customer is not None:
            token = current_token(user=customer)  # a new one once the old has aged
            out("")
            out(self.style.MIGRATE_HEADING(f"Customer API token ({customer.email})"))
            if customer.email.lower() == DEMO_CUSTOMER_EMAIL:
                out(
                    f"  (the storefront login is {DEMO_CUSTOMER_EMAIL} / {DEMO_PASSWORD})"
                )
            out(f"  {token}")
            if "me" in routes:
                path = "me/"
            elif routes:
                path = f"{routes[0]}/"
            else:
                path = None
            if path:
                out(f'  curl -H "Authorization: Token {token}" {base}/api/v1/{path}')
            else:
                out(f'  Send it as the header "Authorization: Token {token}".')
        out("")
