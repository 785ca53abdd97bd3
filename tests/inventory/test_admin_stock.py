"""Managers' admin for the catalog and stock: pages render, search and filters work,
stock is read-only and transfer actions go through the services."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import ERROR, SUCCESS, WARNING, get_messages
from django.urls import reverse

from inventory.models import (
    Reservation,
    StockLevel,
    StockMovement,
    Transfer,
    TransferStatus,
)
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from inventory.services.transfers import request_transfer, ship_transfer
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from tests.factories import (
    CategoryFactory,
    LocationFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="WH01", name="Piacenza DC")


@pytest.fixture
def variant():
    return VariantFactory(
        sku="SHIRT-BLU-M",
        barcode="8000000000017",
        product=ProductFactory(name="Oxford shirt", brand="Omni"),
    )


@pytest.fixture
def catalog(shop, warehouse, variant):
    """One object of every inventory model, made through the services."""
    stock(variant, warehouse, 10)
    stock(variant, shop, 4)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 1)],
        reference_type="order",
        reference_id="77",
    )
    transfer = request_transfer(
        source=warehouse, destination=shop, lines=[(variant, 2)]
    )
    return {
        "category": variant.product.category,
        "product": variant.product,
        "variant": variant,
        "location": shop,
        "stocklevel": StockLevel.objects.get(variant=variant, location=shop),
        "stockmovement": StockMovement.objects.first(),
        "reservation": Reservation.objects.first(),
        "transfer": transfer,
    }


MODELS = [
    "category",
    "product",
    "variant",
    "location",
    "stocklevel",
    "stockmovement",
    "reservation",
    "transfer",
]


@pytest.mark.parametrize("model", MODELS)
def test_every_inventory_model_has_a_changelist_and_a_change_page(
    admin_client, catalog, model
):
    changelist = admin_client.get(reverse(f"admin:inventory_{model}_changelist"))
    assert changelist.status_code == 200
    obj = catalog[model]
    change = admin_client.get(reverse(f"admin:inventory_{model}_change", args=[obj.pk]))
    assert change.status_code == 200


def test_product_page_edits_variants_inline(admin_client, catalog, variant):
    response = admin_client.get(
        reverse("admin:inventory_product_change", args=[variant.product.pk])
    )
    assert 'name="variants-0-sku"' in response.content.decode()


@pytest.mark.parametrize(
    ("model", "term", "expected"),
    [
        ("product", "SHIRT-BLU-M", "Oxford shirt"),
        ("product", "8000000000017", "Oxford shirt"),
        ("variant", "8000000000017", "SHIRT-BLU-M"),
        ("variant", "oxford", "SHIRT-BLU-M"),
        ("location", "WH01", "Piacenza DC"),
        ("stocklevel", "WH01", "Piacenza DC"),
        ("stockmovement", "SHIRT-BLU-M", "SHIRT-BLU-M"),
    ],
)
def test_admin_search_finds_by_codes_and_names(
    admin_client, catalog, model, term, expected
):
    response = admin_client.get(
        reverse(f"admin:inventory_{model}_changelist"), {"q": term}
    )
    assert response.status_code == 200
    result = response.context["cl"].result_list
    assert len(result) >= 1
    assert expected in response.content.decode()


def test_transfers_are_found_by_their_printed_number(admin_client, catalog):
    transfer = catalog["transfer"]
    other = request_transfer(
        source=transfer.source,
        destination=transfer.destination,
        lines=[(catalog["variant"], 1)],
    )
    url = reverse("admin:inventory_transfer_changelist")
    for term in (str(transfer), str(transfer).lower()):
        found = admin_client.get(url, {"q": term}).context["cl"].result_list
        assert [t.pk for t in found] == [transfer.pk]
    assert other.pk != transfer.pk


def test_admin_search_leaves_out_what_does_not_match(admin_client, catalog, shop):
    response = admin_client.get(
        reverse("admin:inventory_stocklevel_changelist"), {"q": "MI01"}
    )
    assert [lvl.location for lvl in response.context["cl"].result_list] == [shop]


def test_low_stock_filter_lists_levels_at_or_under_threshold(
    admin_client, catalog, shop, warehouse
):
    url = reverse("admin:inventory_stocklevel_changelist")
    low = admin_client.get(url, {"stock": "low"}).context["cl"].result_list
    assert [(lvl.location, lvl.available) for lvl in low] == [(shop, 3)]
    ok = admin_client.get(url, {"stock": "ok"}).context["cl"].result_list
    assert [lvl.location for lvl in ok] == [warehouse]  # 10 - 2 reserved = 8 > 3


def test_stock_level_list_shows_on_hand_reserved_and_available(admin_client, catalog):
    response = admin_client.get(reverse("admin:inventory_stocklevel_changelist"))
    html = response.content.decode()
    for column in ("column-on_hand", "column-reserved", "column-available_units"):
        assert column in html


@pytest.mark.parametrize("levels", [2, 12])
def test_stock_level_changelist_runs_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, levels
):
    shop = LocationFactory()
    for _ in range(levels):
        stock(VariantFactory(), shop, 2)
    url = reverse("admin:inventory_stocklevel_changelist")
    admin_client.get(url)  # a session's first request may note its time
    with django_assert_max_num_queries(5):
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) == levels


def test_on_hand_and_reserved_cannot_be_edited_in_admin(admin_client, catalog, shop):
    level = catalog["stocklevel"]
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="on_hand"' not in html
    assert 'name="reserved"' not in html
    assert 'name="safety_stock"' in html
    movements = StockMovement.objects.count()
    response = admin_client.post(
        url,
        {
            "on_hand": "999",
            "reserved": "0",
            "safety_stock": "2",
            "low_stock_threshold": "5",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (4, 1)
    assert (level.safety_stock, level.low_stock_threshold) == (2, 5)
    assert StockMovement.objects.count() == movements


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("safety_stock", "-5", "greater than or equal to 0"),
        ("low_stock_threshold", "-1", "greater than or equal to 0"),
        ("low_stock_threshold", "99999999", "less than or equal to 1000000"),
    ],
)
def test_a_stock_setting_out_of_range_is_refused_at_its_field(
    admin_client, catalog, field, value, message
):
    level = catalog["stocklevel"]
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    data = {"safety_stock": "0", "low_stock_threshold": "3", field: value}
    response = admin_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert message in " ".join(form.errors[field])
    assert not form.non_field_errors()  # said at the field, not as a constraint
    level.refresh_from_db()
    assert (level.safety_stock, level.low_stock_threshold) == (0, 3)


def test_stock_levels_cannot_be_added_or_deleted_in_admin(admin_client, catalog):
    level = catalog["stocklevel"]
    assert (
        admin_client.get(reverse("admin:inventory_stocklevel_add")).status_code == 403
    )
    delete = reverse("admin:inventory_stocklevel_delete", args=[level.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert StockLevel.objects.filter(pk=level.pk).exists()


@pytest.mark.parametrize("model", ["stockmovement", "reservation", "transfer"])
def test_ledger_reservations_and_transfers_are_read_only(admin_client, catalog, model):
    obj = catalog[model]
    assert admin_client.get(reverse(f"admin:inventory_{model}_add")).status_code == 403
    change = reverse(f"admin:inventory_{model}_change", args=[obj.pk])
    assert admin_client.post(change, {"note": "edited"}).status_code == 403
    delete = reverse(f"admin:inventory_{model}_delete", args=[obj.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_ledger_can_be_filtered_by_reason(admin_client, catalog):
    response = admin_client.get(
        reverse("admin:inventory_stockmovement_changelist"), {"reason": "reservation"}
    )
    reasons = {m.reason for m in response.context["cl"].result_list}
    assert reasons == {"reservation"}


def test_transfer_page_shows_lines_and_history(admin_client, catalog):
    transfer = catalog["transfer"]
    response = admin_client.get(
        reverse("admin:inventory_transfer_change", args=[transfer.pk])
    )
    html = response.content.decode()
    assert "SHIRT-BLU-M" in html
    assert "requested" in html


def _run_action(client, action, transfers):
    return client.post(
        reverse("admin:inventory_transfer_changelist"),
        {"action": action, "_selected_action": [t.pk for t in transfers], "index": "0"},
        follow=True,
    )


def test_ship_and_receive_everything_actions_move_stock_through_services(
    admin_client, catalog, manager, shop, warehouse, variant
):
    transfer = catalog["transfer"]
    response = _run_action(admin_client, "ship", [transfer])
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT
    assert StockLevel.objects.get(variant=variant, location=warehouse).on_hand == 8
    assert any(m.level == SUCCESS for m in get_messages(response.wsgi_request))

    _run_action(admin_client, "receive_everything", [transfer])
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert StockLevel.objects.get(variant=variant, location=shop).on_hand == 6
    assert transfer.events.last().actor == manager
    movement = StockMovement.objects.filter(reason="transfer_in").get()
    assert (movement.delta_on_hand, movement.actor) == (2, manager)


def test_an_action_that_a_transfer_refuses_is_reported_as_an_error(
    admin_client, catalog, shop, warehouse, variant
):
    shipped = ship_transfer(transfer=catalog["transfer"])
    fresh = request_transfer(source=warehouse, destination=shop, lines=[(variant, 1)])
    response = _run_action(admin_client, "ship", [shipped, fresh])
    sent = [(m.level, m.message) for m in get_messages(response.wsgi_request)]
    assert (
        ERROR,
        f"{shipped}: Transfer is already in transit.",
    ) in (sent)
    assert (SUCCESS, "1 transfer shipped.") in sent
    fresh.refresh_from_db()
    assert fresh.status == TransferStatus.IN_TRANSIT
    assert Transfer.objects.get(pk=shipped.pk).status == TransferStatus.IN_TRANSIT


def test_a_transfer_another_shop_receives_is_left_with_a_word(
    client, catalog, shop, variant
):
    """A store manager receives into their shop only: selecting a transfer their
    shop sent elsewhere leaves it as it was and says so."""
    other = LocationFactory(code="TO01", name="Torino")
    manager = assign_role(
        user=UserFactory(username="mi-manager"),
        role=Role.STORE_MANAGER,
        shops=[shop],
        home=shop,
    )
    away = ship_transfer(
        transfer=request_transfer(source=shop, destination=other, lines=[(variant, 1)])
    )
    client.force_login(manager)
    response = _run_action(client, "receive_everything", [away])
    sent = [(m.level, m.message) for m in get_messages(response.wsgi_request)]
    assert sent == [
        (
            WARNING,
            "1 of the selected transfers do not arrive at your shops: left as they were.",
        )
    ]
    away.refresh_from_db()
    assert away.status == TransferStatus.IN_TRANSIT


def test_transfer_actions_need_permission_to_change_transfers(client, catalog):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_transfer"))
    client.force_login(viewer)
    response = client.get(reverse("admin:inventory_transfer_changelist"))
    assert response.status_code == 200
    assert "receive_everything" not in response.content.decode()
    _run_action(client, "ship", [catalog["transfer"]])
    catalog["transfer"].refresh_from_db()
    assert catalog["transfer"].status == TransferStatus.REQUESTED


def test_categories_can_be_created_in_admin(admin_client):
    parent = CategoryFactory(name="Men", slug="men")
    response = admin_client.post(
        reverse("admin:inventory_category_add"),
        {"name": "Shirts", "slug": "men-shirts", "parent": parent.pk, "_save": "Save"},
    )
    assert response.status_code == 302
    assert parent.children.get().slug == "men-shirts"


def test_a_transfers_history_page_lists_each_step_who_and_why(
    client, admin_client, catalog, manager, shop
):
    """Transfers move through the services (the staff screens, the actions), not
    their admin page: the History button leads to each step of the transfer."""
    transfer = catalog["transfer"]
    _run_action(admin_client, "ship", [transfer])
    url = reverse("admin:inventory_transfer_history", args=[transfer.pk])

    page = admin_client.get(url)

    text = page.content.decode()
    assert page.status_code == 200
    assert "This object doesn’t have a change history" not in text
    section = text.split('data-testid="transfer-status-history"')[1]
    requested, shipped = section.split("</table>")[0].split("<tr>")[2:]
    assert "Requested" in requested and "system" in requested
    assert "In transit" in shipped and str(manager) in shipped
    assert "shipped from admin" in shipped

    stranger = assign_role(
        user=UserFactory(username="to-manager"),
        role=Role.STORE_MANAGER,
        shops=[LocationFactory(code="TO01", name="Torino")],
    )
    client.force_login(stranger)
    assert client.get(url).status_code == 404
