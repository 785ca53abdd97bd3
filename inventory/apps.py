from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Catalog and inventory"

    def ready(self):
        from inventory import markets  # noqa: F401  (keeps the tax table fresh)

        post_migrate.connect(
            _seed_tax_data, sender=self, dispatch_uid="inventory.seed_tax_data"
        )


def _seed_tax_data(using="default", **kwargs):
    """A fresh database gets the VAT rates and markets (also after a test's flush)."""
    from inventory.services.taxes import seed_tax_data

    seed_tax_data(using=using)
