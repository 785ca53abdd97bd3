import importlib
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries

# Each app seeds its own data, bottom layer first: later seeds use earlier data (shops,
# variants, customers). An app that has no demo module yet is skipped.
SEEDS = [
    ("inventory.demo", "seed_inventory"),
    ("inventory.demo.pictures", "seed_pictures"),
    ("customers.demo", "seed_customers"),
    ("omnistore.approvals.demo", "seed_approvals"),
    ("orders.demo", "seed_orders"),
    ("customers.demo_clientbook", "seed_client_book"),  # reads the orders' purchases
    ("customers.demo_wishlists", "seed_wishlists"),  # the client books' customers
    ("campaigns.demo", "seed_campaigns"),
    ("inventory.demo.notices", "seed_low_stock_notices"),  # the stock as sold
]
COUNTED_APPS = [
    "accounts",
    "inventory",
    "customers",
    "orders",
    "campaigns",
    "core",
    "approvals",
]


def load_seed(module_name: str, function_name: str):
    """The seed function, or None when the app has none (a broken one still fails)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, function_name, None)


class Command(BaseCommand):
    help = (
        "Fill the database with deterministic demo data: shops, warehouses, catalog, "
        "stock, staff logins and whatever the other apps seed. --scale N grows it for "
        "benchmarks. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="1 = the demo; 100 ≈ 300 shops and 100k variants.",
        )

    def handle(self, *args, scale: int, **options):
        if scale < 1:
            raise CommandError("--scale must be 1 or more.")
        if not settings.OMNISTORE_DEMO_DATA_ALLOWED:
            raise CommandError(
                "Not on production settings: the demo's logins (a superuser "
                "included) share the public password omnistore-demo. Create the "
                "first login with createsuperuser (docs/operations.md); for a "
                "throwaway stack set OMNISTORE_DEMO_DATA_ALLOWED=1."
            )
        started = time.monotonic()
        for module_name, function_name in SEEDS:
            seed = load_seed(module_name, function_name)
            if seed is not None:
                seed(scale=scale, stdout=self.stdout)
                reset_queries()  # DEBUG keeps every query's SQL; the seeds write a lot
        if connection.vendor == "postgresql":
            # Fresh statistics, so the planner sees the seeded volumes at once.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write("")
        self.stdout.write("Rows in the database:")
        tables = set(connection.introspection.table_names())
        for label in COUNTED_APPS:
            for model in apps.get_app_config(label).get_models():
                if model._meta.db_table not in tables:
                    continue  # a model whose migration has not been applied yet
                count = model._default_manager.count()
                if count:
                    self.stdout.write(f"  {model._meta.label:<32} {count:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f} s."
            )
        )
