"""Find by name, colour and size, for a customer who says what they want."""

import pytest
from django.urls import reverse

from inventory import search
from inventory.sizes import sort_sizes
from tests.factories import ProductFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def oxford():
    product = ProductFactory(name="Oxford shirt")
    return {
        (colour, size): VariantFactory(
            product=product, sku=f"OX-{colour[:3]}-{size}", colour=colour, size=size
        )
        for colour in ("Blue", "White")
        for size in ("XL", "S", "M", "XS", "L")
    }


def test_sizes_sort_in_size_order():
    assert sort_sizes(["XL", "S", "42", "M", "XS", "L", "38", "One size"]) == [
        "XS",
        "S",
        "M",
        "L",
        "XL",
        "38",
        "42",
        "One size",
    ]


def test_words_match_name_colour_and_size(oxford):
    ProductFactory(name="Merino jumper")
    found = search.find_variants(query="oxford blue m")
    assert [v.sku for v in found] == ["OX-Blu-M"]
    sizes = [v.size for v in search.find_variants(query="oxford white")]
    assert sizes == ["XS", "S", "M", "L", "XL"]


def test_the_find_page_lists_stock_here_and_elsewhere(
    staff_client, shop, other_shop, oxford
):
    stock(oxford["Blue", "M"], shop, 2)
    stock(oxford["Blue", "M"], other_shop, 5)
    response = staff_client.get(
        reverse("staff:stock_find"), {"q": "Oxford Blue", "for": "id_code"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<header" not in html
    assert html.index("OX-Blu-XS") < html.index("OX-Blu-S") < html.index("OX-Blu-M")
    assert 'data-pick="OX-Blu-M" data-pick-for="id_code"' in html
    assert "here 2, elsewhere 5" in html
    assert "OX-Whi" not in html


def test_the_find_page_costs_a_fixed_number_of_queries(
    staff_client, oxford, django_assert_max_num_queries, tax_table_kept
):
    # Session, user, shop; the items; their stock.
    with django_assert_max_num_queries(6):
        staff_client.get(reverse("staff:stock_find"), {"q": "oxford"}, **HTMX)


def test_the_find_box_is_a_form_that_works_without_javascript(
    staff_client, shop, other_shop, oxford
):
    stock(oxford["Blue", "M"], shop, 2)
    sale = staff_client.get(reverse("staff:sale")).content.decode()
    box = sale[sale.index('data-testid="find-id_code"') :]
    box = box[: box.index("</form>")]
    find = reverse("staff:stock_find")
    assert f'<form method="get" action="{find}"' in box
    assert 'name="q"' in box and '<button type="submit"' in box
    assert 'name="for" value="id_code"' in box
    assert f'name="back" value="{reverse("staff:sale")}"' in box

    page = staff_client.get(
        find, {"q": "oxford blue m", "for": "id_code", "back": reverse("staff:sale")}
    )
    html = page.content.decode()
    assert page.status_code == 200 and "<header" in html
    item = reverse("staff:stock_variant", args=[oxford["Blue", "M"].pk])
    assert f'href="{item}"' in html and "OX-Blu-M" in html and "OX-Whi" not in html
    assert f'<a href="{reverse("staff:sale")}" data-testid="find-back">' in html


def test_the_find_page_leads_back_only_to_this_site(staff_client, oxford):
    page = staff_client.get(
        reverse("staff:stock_find"),
        {"q": "oxford", "back": "https://elsewhere.example/staff/"},
    )
    assert page.status_code == 200
    assert b"elsewhere.example" not in page.content
    assert b'data-testid="find-back"' not in page.content


def test_the_item_page_has_a_size_colour_grid_and_sale_buttons(
    staff_client, shop, other_shop, oxford
):
    stock(oxford["Blue", "M"], shop, 2)
    stock(oxford["Blue", "M"], other_shop, 5)
    stock(oxford["White", "XS"], other_shop, 1)
    item = oxford["Blue", "M"]
    response = staff_client.get(reverse("staff:stock_variant", args=[item.pk]))
    grid = response.context["grid"]
    assert grid["sizes"] == ["XS", "S", "M", "L", "XL"]
    assert [colour for colour, _ in grid["rows"]] == ["Blue", "White"]
    blue = dict(zip(grid["sizes"], grid["rows"][0][1], strict=True))
    assert blue["M"][1:] == (2, 5)
    html = response.content.decode()
    assert 'data-testid="add-to-sale"' in html
    assert 'data-testid="order-for-customer"' in html
    assert reverse("staff:sale_take") in html


def test_order_for_the_customer_puts_the_item_in_a_delivery_sale(
    staff_client, shop, oxford
):
    response = staff_client.post(
        reverse("staff:sale_take"), {"code": "OX-Blu-M", "mode": "order"}
    )
    assert response["Location"] == reverse("staff:sale") + "?mode=delivery"
    sale = staff_client.get(response["Location"])
    assert sale.context["mode"] == "delivery"
    assert [r.line.variant.sku for r in sale.context["basket"]["rows"]] == ["OX-Blu-M"]
