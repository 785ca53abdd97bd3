"""Demo data: realistic, deterministic, true to the ledger, safe to run twice."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum
from rest_framework.authtoken.models import Token

from inventory.demo import seed_inventory
from inventory.demo.staff import DEMO_PASSWORD
from inventory.models import (
    Category,
    Location,
    LocationKind,
    Product,
    StockLevel,
    StockMovement,
    Variant,
)
from inventory.selectors import haversine_km, ledger_discrepancies, low_stock
from omnistore.accounts.models import Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ean13_is_valid(code: str) -> bool:
    if len(code) != 13 or not code.isdigit():
        return False
    weighted = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(code[:12]))
    return (10 - weighted % 10) % 10 == int(code[12])


def snapshot() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Location,
            Category,
            Product,
            Variant,
            StockLevel,
            StockMovement,
            User,
        )
    }


@pytest.fixture
def seeded():
    return seed_inventory(scale=1)


def test_warehouses_and_shops_stand_at_real_places(seeded):
    warehouses = Location.objects.filter(kind=LocationKind.WAREHOUSE)
    shops = Location.objects.filter(kind=LocationKind.SHOP)
    assert warehouses.count() == 3
    assert all(w.ships_online_orders and not w.sells_in_store for w in warehouses)
    assert shops.count() >= 12
    duomo = Location.objects.get(code="MI-DUOMO")
    # The Milano Duomo shop is within walking distance of the cathedral.
    assert haversine_km(duomo.latitude, duomo.longitude, 45.4641, 9.1919) < 1
    naples = Location.objects.get(code="NA-TOLEDO")
    assert (
        600
        < haversine_km(
            duomo.latitude, duomo.longitude, naples.latitude, naples.longitude
        )
        < 700
    )
    for shop in shops:
        assert 35 < shop.latitude < 55 and -10 < shop.longitude < 20, shop.code
        assert shop.address and shop.city and shop.postcode and shop.opening_hours
        assert shop.sells_in_store
    assert {"IT", "FR", "DE"} <= set(shops.values_list("country", flat=True))
    assert shops.filter(click_and_collect=True).count() > shops.count() / 2
    assert 0 < shops.filter(ships_online_orders=True).count() < shops.count() / 2
    assert shops.filter(click_and_collect=False).exists()


def test_catalog_has_category_tree_and_sized_variants(seeded):
    for parent in ("women", "men", "kids"):
        children = Category.objects.filter(parent__slug=parent)
        assert {"Shirts", "Knitwear", "Trousers", "Shoes", "Accessories"} <= set(
            children.values_list("name", flat=True)
        )
    assert Product.objects.filter(category__parent__isnull=True).count() == 0
    assert (
        Product.objects.exclude(brand="").exclude(description="").count()
        == Product.objects.count()
    )
    sizes = set(Variant.objects.values_list("size", flat=True))
    assert {"XS", "S", "M", "L", "XL", "38", "45"} <= sizes
    per_product = Product.objects.annotate(n=Count("variants"))
    assert (
        per_product.filter(n__lt=2).count()
        <= Product.objects.filter(category__slug__endswith="accessories").count()
    )
    shirt = Product.objects.get(name="Oxford button-down shirt")
    assert shirt.variants.count() == 5 * 3  # XS–XL in three colours
    assert all(
        v.price > 0 and v.price.as_tuple().exponent == -2 for v in shirt.variants.all()
    )


def test_every_variant_has_a_unique_sku_and_a_valid_ean13(seeded):
    rows = list(Variant.objects.values_list("sku", "barcode"))
    assert len(rows) > 300
    skus = [sku for sku, _ in rows]
    barcodes = [barcode for _, barcode in rows]
    assert len(set(skus)) == len(skus)
    assert len(set(barcodes)) == len(barcodes)
    invalid = [b for b in barcodes if not ean13_is_valid(b)]
    assert invalid == []


def test_stock_is_uneven_and_the_ledger_agrees(seeded):
    assert ledger_discrepancies() == []
    out = StringIO()
    call_command("check_stock_ledger", stdout=out)
    assert out.getvalue().startswith("OK:")
    variants = Variant.objects.count()
    for warehouse in Location.objects.filter(kind=LocationKind.WAREHOUSE):
        assert StockLevel.objects.filter(location=warehouse).count() == variants
    shop_levels = StockLevel.objects.filter(location__kind=LocationKind.SHOP)
    assert shop_levels.filter(on_hand=0).exists()
    assert shop_levels.filter(
        on_hand__gt=0, on_hand__lte=F("low_stock_threshold")
    ).exists()
    assert StockLevel.objects.filter(safety_stock__gt=0).exists()
    assert (
        len(set(StockLevel.objects.values_list("low_stock_threshold", flat=True))) > 3
    )
    deep = StockLevel.objects.filter(location__kind=LocationKind.WAREHOUSE).aggregate(
        units=Sum("on_hand")
    )["units"]
    shallow = shop_levels.aggregate(units=Sum("on_hand"))["units"]
    assert deep > shallow
    assert low_stock(location=Location.objects.get(code="MI-DUOMO")).exists()
    receipts = StockMovement.objects.exclude(reason="receipt")
    assert not receipts.exists()
    assert (
        StockMovement.objects.filter(actor__username="hq").count()
        == StockMovement.objects.count()
    )


@pytest.mark.parametrize(
    "username", ["associate", "manager", "hq", "associate-rm-corso"]
)
def test_each_demo_login_opens_the_staff_ui(client, seeded, username):
    response = client.post(
        "/staff/login/", {"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    assert client.get("/staff/").status_code == 200


def test_demo_staff_have_their_roles_and_shops(seeded):
    associate = User.objects.get(username="associate")
    manager = User.objects.get(username="manager")
    hq = User.objects.get(username="hq")
    assert (associate.role, associate.store.code) == (Role.ASSOCIATE, "MI-DUOMO")
    assert (manager.role, manager.store.code) == (Role.STORE_MANAGER, "MI-DUOMO")
    assert hq.role == Role.HQ and hq.store is None and hq.is_staff
    assert not hq.is_superuser  # the superuser runs the platform, not the business
    assert not associate.is_staff and manager.is_staff and not manager.is_superuser
    area = User.objects.get(username="area-manager")
    assert area.role == Role.AREA_MANAGER and area.is_staff
    assert sorted(s.code for s in area.shops.all()) == ["MI-PNUOVA", "TO-ROMA"]
    assert list(hq.groups.values_list("name", flat=True)) == ["Headquarters"]
    assert User.objects.get(username="admin").is_superuser


def test_hq_can_use_the_admin(client, seeded):
    assert client.login(username="hq", password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/inventory/variant/").status_code == 200


def test_seeding_twice_changes_nothing(seeded):
    before = snapshot()
    out = StringIO()
    assert seed_inventory(scale=1, stdout=out) == {}
    assert "already present" in out.getvalue()
    assert snapshot() == before
    assert ledger_discrepancies() == []


def test_seeding_is_deterministic():
    """Two empty databases seeded alike hold the same SKUs, barcodes and quantities."""

    def fingerprint():
        return (
            list(
                Variant.objects.order_by("sku").values_list("sku", "barcode", "price")
            ),
            list(
                StockLevel.objects.order_by(
                    "variant__sku", "location__code"
                ).values_list(
                    "variant__sku", "location__code", "on_hand", "safety_stock"
                )
            ),
        )

    seed_inventory(scale=1)
    first = fingerprint()
    StockMovement.objects.all().delete()
    StockLevel.objects.all().delete()
    Variant.objects.all().delete()
    Product.objects.all().delete()
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()
    User.objects.all().delete()
    Location.objects.all().delete()
    seed_inventory(scale=1)
    assert fingerprint() == first


def test_a_larger_scale_adds_shops_and_variants_and_keeps_the_ledger():
    seed_inventory(scale=2)
    shops = Location.objects.filter(kind=LocationKind.SHOP)
    generated = shops.filter(code__regex=r"^[A-Z]{2}-[0-9]{4}$")
    assert generated.count() == 3
    assert shops.count() == generated.count() + 18
    for shop in generated:
        assert 36 < shop.latitude < 47 and 6 < shop.longitude < 19
    assert Product.objects.count() == 47 + 80
    assert Variant.objects.count() > 1000
    warehouse = Location.objects.get(code="WH-PC")
    assert (
        StockLevel.objects.filter(location=warehouse).count() == Variant.objects.count()
    )
    assert ledger_discrepancies() == []


def test_seed_demo_command_reports_counts_and_time():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "inventory.Variant" in text
    assert f"{Variant.objects.count():,}" in text
    assert "Demo data ready in" in text
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "already present" in again.getvalue()
    assert Location.objects.filter(code="WH-PC").count() == 1


def test_demo_info_prints_urls_logins_and_a_customer_token(seeded):
    customer = UserFactory(
        username="customer@example.com",
        email="customer@example.com",
        role=Role.CUSTOMER,
    )
    out = StringIO()
    call_command("demo_info", host="demo.test", port="9000", stdout=out)
    text = out.getvalue()
    for path in ("staff/", "admin/", "api/docs/", "api/schema/"):
        assert f"http://demo.test:9000/{path}" in text
    assert "associate" in text and "manager" in text and "hq" in text
    for line in (
        "associate              Store associate · Milano Duomo · staff UI",
        "manager                Store manager · Milano Duomo · staff UI and /admin/",
        "area-manager           Area manager · Milano Porta Nuova, Torino Via Roma",
        "hq                     Headquarters · all shops · staff UI and /admin/",
        "admin                  Platform superuser · all shops · staff UI and /admin/",
    ):
        assert line in text, text
    assert DEMO_PASSWORD in text
    token = Token.objects.get(user=customer)
    assert token.key in text
    assert (
        f'curl -H "Authorization: Token {token.key}" http://demo.test:9000/api/v1/'
        in text
    )
    # Run again: the same token, not a new one.
    call_command("demo_info", host="demo.test", port="9000", stdout=StringIO())
    assert Token.objects.get(user=customer).key == token.key


def test_demo_info_prints_no_token_without_a_customer(seeded):
    out = StringIO()
    call_command("demo_info", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/staff/" in text
    assert "Token" not in text
    assert not Token.objects.exists()


def test_demo_info_on_an_empty_database_lists_only_pages():
    out = StringIO()
    call_command("demo_info", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/admin/" in text
    assert DEMO_PASSWORD not in text


def test_demo_shops_sell_in_their_market_and_name(seeded):
    from inventory.models import Market, PriceListPrice, TaxClass

    zurich = Location.objects.select_related("legal_entity").get(code="ZRH-BAHNHOF")
    vienna = Location.objects.select_related("legal_entity").get(code="VIE-KAERNTNER")
    assert (zurich.country, zurich.legal_entity.country) == ("CH", "CH")
    assert (vienna.country, vienna.legal_entity.country) == ("AT", "AT")
    assert not Location.objects.filter(legal_entity__isnull=True).exists()
    assert PriceListPrice.objects.filter(price_list__code="CHF").count() == (
        Variant.objects.count()
    )
    assert Market.objects.get(code="EU").legal_entity.country == "IT"
    fees = Market.objects.values_list("code", "delivery_fee", "free_delivery_from")
    assert sorted((code, str(fee), str(free)) for code, fee, free in fees) == [
        ("CH", "7.90", "120.00"),
        ("EU", "4.90", "100.00"),
    ]
    classes = set(Product.objects.values_list("tax_class", flat=True))
    assert classes == {TaxClass.STANDARD, TaxClass.REDUCED}


def test_demo_info_served_on_every_interface_links_to_this_machine():
    out = StringIO()
    call_command("demo_info", host="0.0.0.0", port="8080", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8080/staff/" in text
    assert "0.0.0.0:" not in text
    assert "on every interface" in text


def test_seeding_again_gives_the_demo_customer_back_the_printed_password():
    """A password reset tried on the demo changes the storefront login's password;
    ``make demo`` seeds again and prints the demo's: it works again."""
    from customers.demo import DEMO_CUSTOMER_EMAIL
    from inventory.demo.staff import DEMO_PASSWORD
    from omnistore.accounts.models import User

    call_command("seed_demo", stdout=StringIO())
    login = User.objects.get(username=DEMO_CUSTOMER_EMAIL)
    login.set_password("Changed-In-A-Reset-2026")
    login.save()

    again = StringIO()
    call_command("seed_demo", stdout=again)

    login.refresh_from_db()
    assert login.check_password(DEMO_PASSWORD)
    assert "is the demo's again" in again.getvalue()
