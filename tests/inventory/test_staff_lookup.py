"""Staff stock screens: access, lookup by name or scan, and an item's stock here and elsewhere."""

import pytest
from django.urls import reverse

from inventory.models import (
    MovementReason,
    StockLevel,
    Variant,
)
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from inventory.services.stock import receive_stock
from omnistore.accounts.models import Role
from omnistore.staff.auth import SESSION_STORE_KEY
from tests.factories import (
    LocationFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    stock,
)
from tests.inventory.staff_helpers import HTMX, login_as

pytestmark = pytest.mark.django_db


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["stock_lookup", "stock_receive", "transfer_list"])
def test_stock_pages_send_anonymous_visitors_to_the_login(client, name):
    response = client.get(reverse(f"staff:{name}"))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


def test_customers_cannot_use_the_stock_screens(client):
    login_as(client, UserFactory(role=Role.CUSTOMER))
    response = client.get(reverse("staff:stock_lookup"))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


# --- lookup ---------------------------------------------------------------------------


def test_lookup_page_has_a_live_search_box(staff_client):
    response = staff_client.get(reverse("staff:stock_lookup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="q"' in html
    assert f'hx-get="{reverse("staff:stock_lookup")}"' in html
    assert 'hx-target="#lookup-results"' in html


def test_lookup_by_name_lists_units_here_and_elsewhere(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 4)
    stock(variant, other_shop, 7)
    sibling = VariantFactory(product=variant.product, sku="SHIRT-BLU-L", size="L")
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": "oxford"})
    assert response.status_code == 200
    rows = {
        v.sku: (here, elsewhere) for v, here, elsewhere in response.context["results"]
    }
    assert rows == {"SHIRT-BLU-M": (4, 7), sibling.sku: (0, 0)}
    assert "<html" in response.content.decode()


def test_live_search_answers_with_the_results_fragment_only(staff_client, variant):
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": "Oxford"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "SHIRT-BLU-M" in html
    assert reverse("staff:stock_variant", args=[variant.pk]) in html


def test_a_scanned_barcode_opens_the_item_straight_away(staff_client, variant):
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": "8000000000017"})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:stock_variant", args=[variant.pk])


def test_an_exact_sku_in_any_case_opens_the_item(staff_client, variant):
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": " shirt-blu-m "})
    assert response["Location"] == reverse("staff:stock_variant", args=[variant.pk])


def test_live_search_on_an_exact_code_shows_it_without_jumping(staff_client, variant):
    response = staff_client.get(
        reverse("staff:stock_lookup"), {"q": "8000000000017"}, **HTMX
    )
    assert response.status_code == 200
    assert "Exact match" in response.content.decode()


def test_lookup_says_when_nothing_matches(staff_client, variant):
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": "no-such-thing"})
    assert response.status_code == 200
    assert "Nothing matches" in response.content.decode()


def test_several_words_narrow_the_search_by_name_colour_and_size(staff_client):
    shirt = ProductFactory(name="Linen shirt")
    dress = ProductFactory(name="Linen shirt dress")
    wanted = VariantFactory(product=shirt, sku="LS-WHT-L", colour="White", size="L")
    VariantFactory(product=shirt, sku="LS-WHT-M", colour="White", size="M")
    VariantFactory(product=shirt, sku="LS-BLU-L", colour="Light blue", size="L")
    also = VariantFactory(product=dress, sku="LSD-WHT-L", colour="White", size="L")
    VariantFactory(product=ProductFactory(name="Wool coat"), colour="White", size="L")
    found = staff_client.get(reverse("staff:stock_lookup"), {"q": "linen white l"})
    assert [v.sku for v, *_ in found.context["results"]] == [wanted.sku, also.sku]
    # a short word is a size or a colour, not any name holding that letter
    sizes = staff_client.get(reverse("staff:stock_lookup"), {"q": "shirt M"})
    assert [v.sku for v, *_ in sizes.context["results"]] == ["LS-WHT-M"]


def test_lookup_says_when_more_match_than_it_shows(staff_client, shop):
    product = ProductFactory(name="Cotton tee")
    for n in range(26):
        VariantFactory(product=product, sku=f"TEE-{n:02d}")
    many = staff_client.get(reverse("staff:stock_lookup"), {"q": "cotton"}, **HTMX)
    assert len(many.context["results"]) == 25
    assert "More than 25 items match; the first 25 are shown" in many.content.decode()
    Variant.objects.filter(sku="TEE-25").delete()
    exactly = staff_client.get(reverse("staff:stock_lookup"), {"q": "cotton"}, **HTMX)
    assert "25 items found" in exactly.content.decode()
    assert "More than" not in exactly.content.decode()


@pytest.mark.parametrize("count", [2, 12])
def test_lookup_runs_a_fixed_number_of_queries(
    staff_client, shop, other_shop, django_assert_max_num_queries, tax_table_kept, count
):
    for _ in range(count):
        v = VariantFactory(product=ProductFactory(name="Linen trousers"))
        stock(v, shop, 2)
        stock(v, other_shop, 3)
    with django_assert_max_num_queries(7):  # + the products' pictures
        response = staff_client.get(reverse("staff:stock_lookup"), {"q": "linen"})
    assert len(response.context["results"]) == count


# --- variant detail -------------------------------------------------------------------


def test_variant_page_shows_this_shop_first_then_others_with_distance(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, shop, 5)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 2)],
        reference_type="order",
        reference_id="42",
    )
    stock(variant, other_shop, 3)
    stock(variant, warehouse, 40)
    response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    assert response.status_code == 200
    here = response.context["here"]
    assert (here.location, here.on_hand, here.reserved, here.available) == (
        shop,
        5,
        2,
        3,
    )
    others = {
        lvl.location.code: (lvl.available, km) for lvl, km in response.context["others"]
    }
    assert others["RM01"][0] == 3
    assert 470 < others["RM01"][1] < 490  # Milano → Roma
    assert others["WH01"][0] == 40
    assert 40 < others["WH01"][1] < 75  # Milano → Piacenza
    html = response.content.decode()
    assert html.index("Here · Milano Centro") < html.index("Roma Termini")
    assert "here-card" in html
    assert [m.reason for m in response.context["movements"]] == [
        MovementReason.RESERVATION,
        MovementReason.RECEIPT,
    ]


def test_movements_name_what_moved_the_stock_in_words(staff_client, shop, variant):
    receive_stock(
        variant=variant,
        location=shop,
        quantity=3,
        reference_type="opening_balance",
        reference_id="demo",
    )
    receive_stock(
        variant=variant,
        location=shop,
        quantity=1,
        reason=MovementReason.RETURN_RESTOCK,
        reference_type="order",
        reference_id="OS-AB12C-34DEF",
    )
    response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    html = response.content.decode()
    assert "Opening balance" in html and "opening_balance" not in html
    assert (
        f'<a href="{reverse("staff:order_detail", args=["OS-AB12C-34DEF"])}">' in html
    )
    assert "Order OS-AB12C-34DEF" in html


def test_variant_page_lists_locations_with_stock_nearest_first(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, other_shop, 1)
    stock(variant, warehouse, 1)
    empty_near = LocationFactory(code="MI02", name="Milano Nord")
    StockLevel.objects.create(variant=variant, location=empty_near)
    response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    order = [lvl.location.code for lvl, _ in response.context["others"]]
    assert order == ["WH01", "RM01", "MI02"]


def test_variant_page_shows_zero_here_when_the_shop_never_had_it(
    staff_client, shop, other_shop, variant
):
    stock(variant, other_shop, 3)
    response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    here = response.context["here"]
    assert here.location == shop
    assert (here.on_hand, here.available) == (0, 0)
    assert "out of stock" in response.content.decode()


def test_unknown_variant_is_404(staff_client):
    assert (
        staff_client.get(reverse("staff:stock_variant", args=[999999])).status_code
        == 404
    )


def test_hq_sees_the_shop_chosen_in_the_header_as_here(
    client, shop, other_shop, variant
):
    stock(variant, shop, 1)
    stock(variant, other_shop, 6)
    login_as(client, UserFactory(role=Role.HQ))
    session = client.session
    session[SESSION_STORE_KEY] = other_shop.pk
    session.save()
    response = client.get(reverse("staff:stock_variant", args=[variant.pk]))
    assert response.context["here"].location == other_shop
    assert response.context["here"].on_hand == 6


@pytest.mark.parametrize("locations", [2, 12])
def test_variant_page_runs_a_fixed_number_of_queries(
    staff_client,
    shop,
    variant,
    django_assert_max_num_queries,
    tax_table_kept,
    locations,
):
    stock(variant, shop, 3)
    for _ in range(locations):
        stock(variant, LocationFactory(), 2)
    for size in ("XL", "S")[: locations // 6 + 1]:  # the size grid grows too
        stock(VariantFactory(product=variant.product, size=size), shop, 1)
    # Session, user, shop; the item, its pictures; levels; movements; the grid's
    # items and stock.
    with django_assert_max_num_queries(9):
        response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    assert len(response.context["others"]) == locations
