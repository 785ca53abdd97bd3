"""HQ exports a price list as CSV from its page and imports one back: prices the
list lacks are added, differing ones changed, the others left; each is kept on its
history page with who and why, and a cut reaches the price drops. A file with any
problem is refused whole, its problems listed by line, and changes nothing."""

import csv
import html
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import PriceChange
from inventory.admin_price_csv import MAX_BYTES
from inventory.models import PriceList, PriceListPrice
from omnistore.accounts.models import Role
from omnistore.core.audit import BASELINE_REASON
from tests.factories import (
    ProductFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def francs():
    """The Swiss list: TEE-000 at 30.00, TEE-001 at 31.00, TEE-002 at 32.00;
    TEE-003 is in the catalogue, not on the list."""
    price_list = PriceList.objects.get(code="CHF")
    for n in range(4):
        variant = VariantFactory(
            sku=f"TEE-{n:03d}", product=ProductFactory(name=f"Tee {n}")
        )
        if n < 3:
            PriceListPrice.objects.create(
                price_list=price_list, variant=variant, price=D("30.00") + n
            )
    return price_list


@pytest.fixture
def hq_user():
    return UserFactory(username="elena", role=Role.HQ)


@pytest.fixture
def hq(client, hq_user):
    client.force_login(hq_user)
    return client


def export_url(price_list):
    return reverse("admin:inventory_pricelist_export_prices", args=[price_list.pk])


def import_url(price_list):
    return reverse("admin:inventory_pricelist_import_prices", args=[price_list.pk])


def prices_url(price_list):
    url = reverse("admin:inventory_pricelistprice_changelist")
    return f"{url}?price_list__id__exact={price_list.pk}"


def upload(client, price_list, content, reason="Spring prices"):
    if isinstance(content, str):
        content = content.encode()
    return client.post(
        import_url(price_list),
        {"file": SimpleUploadedFile("prices.csv", content), "reason": reason},
    )


def listed(price_list) -> dict[str, Decimal]:
    return dict(
        PriceListPrice.objects.filter(price_list=price_list).values_list(
            "variant__sku", "price"
        )
    )


def versions() -> int:
    return PriceListPrice.audit.count()


def said(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_an_exported_list_imports_back_unchanged(hq, francs):
    exported = hq.get(export_url(francs))

    assert exported.status_code == 200
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="prices-chf.csv"' in exported["Content-Disposition"]
    content = exported.content
    assert list(csv.reader(io.StringIO(content.decode()))) == [
        ["sku", "price", "product"],
        ["TEE-000", "30.00", "Tee 0"],
        ["TEE-001", "31.00", "Tee 1"],
        ["TEE-002", "32.00", "Tee 2"],
    ]
    before = listed(francs)

    imported = upload(hq, francs, content)

    assert imported.status_code == 302
    assert imported.url == prices_url(francs)
    assert said(imported) == [
        "Prices of Swiss francs imported: 0 added, 0 changed, 3 left as they were."
    ]
    assert listed(francs) == before
    assert versions() == 0


def test_the_export_is_read_in_one_query_whatever_the_size_of_the_list(
    hq, francs, django_assert_num_queries
):
    for n in range(4, 30):
        PriceListPrice.objects.create(
            price_list=francs, variant=VariantFactory(sku=f"TEE-{n:03d}"), price=9
        )
    # The session, the user, the user's and the role's rights, the list, its prices.
    with django_assert_num_queries(6):
        exported = hq.get(export_url(francs))

    assert len(exported.content.decode().splitlines()) == 30


def test_an_import_adds_changes_and_leaves_prices(
    hq, francs, django_capture_on_commit_callbacks
):
    """A spreadsheet's file: a byte order mark, semicolons, decimal commas, the
    columns in another order and named in capitals, a column of its own and a
    blank line. TEE-002 is not in it and stays."""
    content = (
        "\ufeffProduct;PRICE;SKU\r\n"
        "Tee 0;30,00;TEE-000\r\n"
        "Tee 1;29,50;TEE-001\r\n"
        ";;\r\n"
        "Tee 3;12;TEE-003\r\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        imported = upload(hq, francs, content)

    assert imported.status_code == 302
    assert said(imported) == [
        "Prices of Swiss francs imported: 1 added, 1 changed, 1 left as they were."
    ]
    assert listed(francs) == {
        "TEE-000": D("30.00"),
        "TEE-001": D("29.50"),
        "TEE-002": D("32.00"),
        "TEE-003": D("12.00"),
    }


def test_each_price_imported_is_kept_with_who_and_why(hq, hq_user, francs):
    upload(hq, francs, "sku,price\nTEE-001,29.50\nTEE-003,12.00\nTEE-000,30\n")

    changed = PriceListPrice.objects.get(variant__sku="TEE-001")
    kept = [
        (v.history_type, v.price, v.history_user, v.history_change_reason)
        for v in changed.audit.order_by("history_id")
    ]
    assert kept == [
        ("~", D("31.00"), None, BASELINE_REASON),
        ("~", D("29.50"), hq_user, "Spring prices"),
    ]
    added = PriceListPrice.objects.get(variant__sku="TEE-003")
    assert [
        (v.history_type, v.price, v.history_user, v.history_change_reason)
        for v in added.audit.all()
    ] == [("+", D("12.00"), hq_user, "Spring prices")]
    untouched = PriceListPrice.objects.get(variant__sku="TEE-000")
    assert not untouched.audit.exists()

    page = hq.get(reverse("admin:inventory_pricelistprice_history", args=[changed.pk]))
    assert page.status_code == 200
    changes = [
        [(str(c["field"]), str(c["old"]), str(c["new"])) for c in version]
        for version in (
            getattr(record, "history_delta_changes", [])
            for record in page.context["page_obj"]
        )
    ]
    assert ("Price", "31.00", "29.50") in changes[0]
    assert "Spring prices" in page.content.decode()


def test_a_price_cut_by_an_import_is_recorded_as_a_price_drop(
    hq, francs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            hq,
            francs,
            "sku,price\nTEE-000,24.00\nTEE-001,31.00\nTEE-002,40.00\nTEE-003,9.90\n",
        )

    recorded = {
        (c.price_list_id, c.variant.sku, c.was, c.price)
        for c in PriceChange.objects.select_related("variant")
    }
    assert recorded == {
        (francs.pk, "TEE-000", D("30.00"), D("24.00")),
        (francs.pk, "TEE-002", D("32.00"), D("40.00")),
        (francs.pk, "TEE-003", None, D("9.90")),
    }


REFUSED = {
    "unknown SKU": (
        "sku,price\nTEE-000,20.00\nNOPE-1,5.00\n",
        ["Line 3: unknown SKU “NOPE-1”."],
    ),
    "unknown SKU and a bad price, both said at once": (
        "sku,price\nNOPE-1,5.00\nTEE-001,abc\n",
        [
            "Line 2: unknown SKU “NOPE-1”.",
            "Line 3: price “abc” is not a number such as 12.50 or 12,50.",
        ],
    ),
    "too many decimals": (
        "sku,price\nTEE-000,20.00\nTEE-001,12.345\n",
        ["Line 3: price 12.345: Ensure that there are no more than 2 decimal places."],
    ),
    "not a number": (
        "sku,price\nTEE-000,20.00\nTEE-001,12 CHF\nTEE-002,\n",
        [
            "Line 3: price “12 CHF” is not a number such as 12.50 or 12,50.",
            "Line 4: no price.",
        ],
    ),
    "negative": (
        "sku;price\nTEE-000;20,00\nTEE-001;-1,00\n",
        ["Line 3: price -1,00: A price is zero or more."],
    ),
    "too large": (
        "sku,price\nTEE-000,20.00\nTEE-001,123456789.00\n",
        ["Ensure that there are no more than 10 digits in total."],
    ),
    "duplicated SKU": (
        "sku,price\nTEE-000,20.00\nTEE-001,21.00\nTEE-000,22.00\n",
        ["Line 4: SKU “TEE-000” again (first on line 2)."],
    ),
    "missing column": (
        "sku,cost\nTEE-000,20.00\n",
        ["Line 1: the header names no “price” column."],
    ),
    "header only": (
        "sku,price\n",
        ["Nothing was imported. The file has no prices under its header."],
    ),
    "blank": ("\ufeff\r\n\r\n", ["Nothing was imported. The file is empty."]),
    "not UTF-8": (
        "sku,price\nTEE-000,20.00\nZÜRICH-1,5.00\n".encode("latin-1"),
        ["Line 3: this is not UTF-8 text: save the file as CSV UTF-8."],
    ),
    "over 20,000 rows": (
        "sku,price\nTEE-000,20.00\n" + "X,1\n" * 20_000,
        [
            "Nothing was imported. The file has more than 20,000 rows: split it "
            "into files of at most 20,000."
        ],
    ),
}


@pytest.mark.parametrize("content, problems", REFUSED.values(), ids=REFUSED.keys())
def test_a_file_with_a_problem_is_refused_whole(
    hq, francs, content, problems, django_capture_on_commit_callbacks
):
    before = listed(francs)

    with django_capture_on_commit_callbacks(execute=True):
        refused = upload(hq, francs, content)

    assert refused.status_code == 400
    errors = refused.context["form"].errors["file"]
    for problem in problems:
        assert any(problem in error for error in errors), errors
    assert problems[0] in html.unescape(refused.content.decode())
    assert listed(francs) == before
    assert versions() == 0
    assert not PriceChange.objects.exists()


def test_an_empty_or_oversized_file_is_refused(hq, francs):
    before = listed(francs)

    empty = upload(hq, francs, b"")
    row = b"TEE-000,20.00\n"
    large = upload(hq, francs, b"sku,price\n" + row * (MAX_BYTES // len(row)))

    assert empty.status_code == 400
    assert empty.context["form"].errors["file"] == ["The submitted file is empty."]
    assert large.status_code == 400
    assert large.context["form"].errors["file"] == [
        "Nothing was imported. The file is over 5 MB: split it into parts."
    ]
    assert listed(francs) == before


def test_the_first_twenty_problems_are_listed_by_line(hq, francs):
    rows = "".join(f"GONE-{n:02d},5.00\n" for n in range(25))

    refused = upload(hq, francs, "sku,price\n" + rows)

    errors = refused.context["form"].errors["file"]
    assert errors[0] == "Nothing was imported: 25 problems, the first 20:"
    assert list(errors)[1:] == [
        f"Line {n + 2}: unknown SKU “GONE-{n:02d}”." for n in range(20)
    ]


def test_a_reason_is_required(hq, francs):
    refused = upload(hq, francs, "sku,price\nTEE-000,1.00\n", reason="")

    assert refused.status_code == 400
    assert refused.context["form"].errors["reason"] == ["This field is required."]
    assert listed(francs)["TEE-000"] == D("30.00")


def test_the_price_lists_page_offers_export_and_import(hq, francs):
    page = hq.get(reverse("admin:inventory_pricelist_change", args=[francs.pk]))
    body = page.content.decode()

    assert f'href="{export_url(francs)}"' in body
    assert f'href="{import_url(francs)}"' in body
    form = hq.get(import_url(francs))
    assert form.status_code == 200
    assert "Import prices of Swiss francs" in form.content.decode()


def test_who_may_not_change_prices_may_not_import_them(client, francs):
    """Someone who may only look at price lists and prices exports them; the
    import is refused (403) and not offered. A store manager may do neither."""
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="inventory",
            codename__in=["view_pricelist", "view_pricelistprice"],
        )
    )
    client.force_login(viewer)

    page = client.get(reverse("admin:inventory_pricelist_change", args=[francs.pk]))
    assert f'href="{export_url(francs)}"' in page.content.decode()
    assert import_url(francs) not in page.content.decode()
    assert client.get(export_url(francs)).status_code == 200
    assert client.get(import_url(francs)).status_code == 403
    refused = upload(client, francs, "sku,price\nTEE-000,1.00\n")
    assert refused.status_code == 403
    assert listed(francs)["TEE-000"] == D("30.00")

    client.force_login(StaffFactory(role=Role.STORE_MANAGER))
    assert client.get(export_url(francs)).status_code == 403
    assert client.get(import_url(francs)).status_code == 403


def test_an_unknown_price_list_is_not_found(hq, francs):
    assert hq.get(export_url(PriceList(pk=francs.pk + 100))).status_code == 404
    assert hq.get(import_url(PriceList(pk=francs.pk + 100))).status_code == 404


def test_a_formula_like_product_name_is_exported_inert(hq, francs):
    product = PriceListPrice.objects.get(variant__sku="TEE-001").variant.product
    product.name = '=HYPERLINK("http://evil.example","Tee")'
    product.save()

    exported = hq.get(export_url(francs)).content.decode()

    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[2] == ["TEE-001", "31.00", '\'=HYPERLINK("http://evil.example","Tee")']
    assert upload(hq, francs, exported).status_code == 302


def test_a_formula_like_sku_exported_inert_imports_back(hq, francs):
    variant = VariantFactory(sku="=R75+1", product=ProductFactory(name="Odd"))
    PriceListPrice.objects.create(price_list=francs, variant=variant, price=D("9.00"))
    content = hq.get(export_url(francs)).content.decode()
    assert "'=R75+1,9.00" in content

    imported = upload(hq, francs, content.replace("'=R75+1,9.00", "'=R75+1,8.00"))

    assert imported.status_code == 302
    assert listed(francs)["=R75+1"] == D("8.00")


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_lines_ending_in_cr_alone_or_cr_lf_are_read(hq, francs, ending):
    content = ending.join(["sku;price", "TEE-001;35,50", "TEE-003;9,90", ""])

    imported = upload(hq, francs, content)

    assert imported.status_code == 302
    assert listed(francs)["TEE-001"] == D("35.50")
    assert listed(francs)["TEE-003"] == D("9.90")
