"""Writes on carts: started without a row, filled, merged when a visitor signs in,
folded when customers merge; and the erasure of a customer's contact data on orders.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from customers.models import Customer
from customers.services.logins import profile_for_login
from omnistore.core.channels import Channel
from omnistore.core.db import connection_for, db_value, insert_rows
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import CART_TOKENS, Cart, CartLine, CartStatus, Order
from orders.selectors.carts import (
    LINE_FULL,
    MAX_LINES,
    LeftOut,
    anonymous_cart,
    cart_lines,
    find_cart,
    fold_lines,
    on_sale,
)
from orders.selectors.terminals import waiting_intent

from .common import MAX_LINE_QUANTITY, check_quantity, sellable_variants


def storefront_customer(*, user, channel: str = Channel.WEB) -> Customer:
    """The profile behind a signed-in storefront user: its own, created on first use
    (never one found by its email); none for staff logins (404)."""
    return profile_for_login(user=user, channel=channel)


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def create_cart(
    *, channel: str = Channel.WEB, customer: Customer | None = None
) -> Cart:
    """A new anonymous cart, or the customer's open cart (there is one at most)."""
    if customer is not None:
        return ensure_customer_cart(customer=customer, channel=channel)
    cart = start_cart(channel=channel)
    insert_rows([cart])
    return cart


def open_counter_cart(*, token: str) -> Cart:
    """The counter sale's open cart under ``token``, created on first use. Requests of
    one device that start a sale at once (three quick scans, the customer form) name
    the same token and land on one cart: the token is unique, so one insert stands
    and the others find its cart. A token already used by a finished cart gets a
    fresh one."""
    found = find_cart(token=token)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            cart = Cart(token=token, channel=Channel.STORE)
            insert_rows([cart])
            return cart
    except IntegrityError:
        return find_cart(token=token) or create_cart(channel=Channel.STORE)


def start_cart(*, channel: str = Channel.WEB) -> Cart:
    """A new anonymous cart, not stored yet: its first line stores it.

    The storefront hands out the token at once, signed (only an anonymous cart's
    token is): it stands for an empty open cart until then. A visitor who never adds
    anything, and every crawler, leaves no row behind, and starting a cart costs no
    write.
    """
    token = CART_TOKENS.sign(secrets.token_urlsafe(12))  # 60 characters
    return Cart(token=token, channel=channel)


def current_cart(
    *,
    customer: Customer | None,
    token: str = "",
    create: bool = False,
    open_only: bool = True,
    channel: str = Channel.WEB,
) -> Cart:
    """The cart a storefront write works on: the signed-in customer's open cart
    (created on first use), else the anonymous cart of ``token``, else with
    ``create`` a new anonymous cart (not stored yet). A cart this request creates or
    stores (a started cart is stored with its first line) is of ``channel``, the
    client's; a stored cart keeps the channel it was created on.

    A signed-in request still carrying the token of a cart filled before signing in
    folds that cart into the customer's first (the anonymous cart is marked merged),
    so the token is spent on the first write that carries it; reads show the fold
    without making it (``selectors.carts.signed_in_cart``). ``open_only=False`` finds
    an anonymous cart already converted (a checkout retried).
    """
    if customer is not None:
        if token:
            return merge_anonymous_cart(token=token, customer=customer, channel=channel)
        return find_cart(customer=customer) or ensure_customer_cart(
            customer=customer, channel=channel
        )
    if create and not token:
        return start_cart(channel=channel)
    return anonymous_cart(token=token, open_only=open_only, channel=channel)


def _folding(*, customer: Customer | None, token: str) -> AbstractContextManager:
    """One transaction for a write that folds an anonymous cart first (signed in,
    carrying its token), so a write refused leaves that cart open as it was; the
    other writes run in their own transaction only, statement for statement."""
    return transaction.atomic() if customer is not None and token else nullcontext()


def add_lines_to_current_cart(
    *,
    customer: Customer | None,
    token: str,
    lines: Sequence[tuple[int, int]],
    helped_by: Mapping[int, int] | None = None,
    channel: str = Channel.WEB,
) -> tuple[Cart, list[CartLine]]:
    """``add_cart_lines`` on the request's cart (``current_cart``)."""
    with _folding(customer=customer, token=token):
        cart = current_cart(customer=customer, token=token, channel=channel)
        return cart, add_cart_lines(cart=cart, lines=lines, helped_by=helped_by)


def set_current_cart_line_quantity(
    *,
    customer: Customer | None,
    token: str,
    line_id: int,
    quantity: int,
    channel: str = Channel.WEB,
) -> Cart:
    """``set_cart_line_quantity`` on the request's cart (``current_cart``)."""
    with _folding(customer=customer, token=token):
        cart = current_cart(customer=customer, token=token, channel=channel)
        set_cart_line_quantity(cart=cart, line_id=line_id, quantity=quantity)
        return cart


def remove_current_cart_line(
    *, customer: Customer | None, token: str, line_id: int, channel: str = Channel.WEB
) -> Cart:
    """``remove_cart_line`` on the request's cart (``current_cart``)."""
    with _folding(customer=customer, token=token):
        cart = current_cart(customer=customer, token=token, channel=channel)
        remove_cart_line(cart=cart, line_id=line_id)
        return cart


def check_cart_changeable(cart: Cart) -> None:
    """Lines change only in an open cart with no card payment waiting on it: the
    reader's sale carries the lines it was started with, and checkout ends the
    basket, so a line changed meanwhile would be dropped unsold. A counter basket's
    row is locked first (the caller's transaction holds it until the change is
    written), as the card payment's start locks it: the two never cross."""
    if cart.status != CartStatus.OPEN:
        raise Conflict("This cart is closed.", code="cart_closed")
    lock_counter_basket(cart)
    check_no_card_waiting(cart)


def lock_counter_basket(cart: Cart) -> None:
    """Lock a counter basket's row for the rest of the transaction (web carts are
    written statement by statement and not locked)."""
    if cart.channel == Channel.STORE and cart.pk is not None:
        Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk").first()


def check_no_card_waiting(cart: Cart | None) -> None:
    """Refuses to change or drop a counter basket while a card payment waits on it
    (the reader would still take the money for a sale the counter no longer
    follows)."""
    waits = cart is not None and cart.channel == Channel.STORE and cart.pk is not None
    if waits and waiting_intent(cart=cart) is not None:
        raise Conflict(
            "The card reader is waiting for this basket: finish or cancel the card "
            "payment first.",
            code="cart_waiting_for_card",
        )


def cart_checked_out() -> Conflict:
    """The refusal of a cart already converted into an order."""
    return Conflict("This cart was already checked out.", code="cart_closed")


def ensure_customer_cart(*, customer: Customer, channel: str = Channel.WEB) -> Cart:
    cart = Cart.objects.filter(customer=customer, status=CartStatus.OPEN).first()
    if cart is not None:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(
                customer=customer, token=_new_token(), channel=channel
            )
    except IntegrityError:  # a parallel request created it first
        return Cart.objects.get(customer=customer, status=CartStatus.OPEN)


def _store_cart(cart: Cart, now: datetime) -> bool:
    """Store a started cart with its first lines; False when a parallel request with
    the same token stored it first (``cart`` is then that row)."""
    cart.created_at = cart.updated_at = now
    if insert_rows([cart], ignore_duplicates=True):
        return True
    stored = Cart.objects.get(token=cart.token)
    if stored.status != CartStatus.OPEN or stored.customer_id is not None:
        raise Conflict("This cart is closed.", code="cart_closed")
    cart.pk, cart.created_at = stored.pk, stored.created_at
    cart._state.adding, cart._state.db = False, stored._state.db
    return False


@transaction.atomic
def add_cart_lines(
    *,
    cart: Cart,
    lines: Sequence[tuple[int, int]],
    now: datetime | None = None,
    helped_by: Mapping[int, int] | None = None,
) -> list[CartLine]:
    """Add quantities (to lines already there, too); returns every line of the cart.

    ``helped_by`` (variant id -> associate's user id) credits those lines to the
    associate whose shared wishlist they came from; without it nothing else is
    written. Lines come back with variant and product loaded, in the cart's order.
    """
    # one transaction (the request's, when it has one: no savepoint)
    with transaction.atomic(savepoint=False):
        return _add_lines(cart, lines, now, helped_by)


def _add_lines(cart, lines, now, helped_by) -> list[CartLine]:
    check_cart_changeable(cart)
    if not lines:
        raise ValidationFailed("Add at least one item.", extra={"lines": ["Required."]})
    wanted: dict[int, int] = defaultdict(int)
    for variant_id, quantity in lines:
        wanted[int(variant_id)] += check_quantity(quantity)
    now = now or timezone.now()
    stored_now = cart.pk is None and _store_cart(cart, now)
    if not stored_now:
        _touch(cart, now)  # first: a checkout closing the cart meanwhile waits, or won
    current = {
        line.variant_id: line for line in ([] if stored_now else cart_lines(cart))
    }
    new_ids = [pk for pk in wanted if pk not in current]
    # An item retired since its line was added takes no more units, as a new one
    # would not be added: read again with the new ones, and refused alike.
    unsold = [pk for pk in wanted if pk in current and not on_sale(current[pk].variant)]
    variants = sellable_variants(new_ids + unsold) if new_ids or unsold else {}
    if len(current) + len(new_ids) > MAX_LINES:
        raise ValidationFailed(
            f"A cart holds at most {MAX_LINES} different items.",
            extra={"lines": [f"At most {MAX_LINES} different items."]},
        )
    rows = []
    for variant_id, quantity in wanted.items():
        line = current.get(variant_id)
        if line is None:
            line = CartLine(cart=cart, variant=variants[variant_id], added_at=now)
            line.quantity = 0
            current[variant_id] = line
        _check_room(line.quantity, quantity)
        # The row carries the units added: the upsert adds them to the line's in the
        # statement (two adds at the same instant both count) and returns the sum.
        line.quantity = quantity
        if helped_by and variant_id in helped_by:
            line.helped_by_id = helped_by[variant_id]
        rows.append(line)
    credited = ("helped_by",) if helped_by else ()
    insert_rows(
        rows,
        update_on=("cart", "variant"),
        update_fields=credited,
        add_fields=("quantity",),
    )
    return sorted(current.values(), key=lambda line: line.pk)


def _check_room(held: int, quantity: int) -> None:
    """``quantity`` more units fit a line holding ``held`` (none for a new line): a
    line holds at most ``MAX_LINE_QUANTITY``, and a refusal says how many more fit
    (``line_full``, on ``quantity``), not that the units asked are out of range."""
    if held == 0:
        check_quantity(quantity)  # the units of one item asked, added up
        return
    room = MAX_LINE_QUANTITY - held
    if quantity <= room:
        return
    more = f"so {room} more" if room else "so no more"
    message = (
        f"You already have {held} of this item: at most {MAX_LINE_QUANTITY} of one "
        f"item, {more}."
    )
    raise ValidationFailed(message, code=LINE_FULL, extra={"quantity": [message]})


def _touch(cart: Cart, now: datetime) -> None:
    """Mark a change of the open cart's lines, before writing it, in the change's
    transaction: the row stays locked until it commits, so a checkout closing the
    cart either waits and then finds it changed (``close_cart``), or closed it
    first and the change is refused, never written into a converted cart."""
    connection = connection_for(Cart)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_cart SET updated_at = %s WHERE id = %s AND status = %s",
            [
                db_value(Cart._meta.get_field("updated_at"), now, connection),
                cart.pk,
                CartStatus.OPEN,
            ],
        )
        if cursor.rowcount != 1:
            raise cart_checked_out()
    cart.updated_at = now


def close_cart(cart: Cart, order: Order, now: datetime) -> bool:
    """Mark the open cart converted into ``order``; False when it was not open (a
    parallel checkout of the same cart got there first). A cart whose lines changed
    since the checkout read them (another device added an item) is refused: the
    order would not hold what the cart shows."""
    connection = connection_for(Cart)
    stamp = Cart._meta.get_field("updated_at")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_cart SET status = %s, order_id = %s, updated_at = %s"
            " WHERE id = %s AND status = %s AND updated_at = %s",
            [
                CartStatus.CONVERTED,
                order.pk,
                db_value(stamp, now, connection),
                cart.pk,
                CartStatus.OPEN,
                db_value(stamp, cart.updated_at, connection),
            ],
        )
        closed = cursor.rowcount == 1
    if closed:
        # updated_at stays as read: a retry of the transaction compares it again
        cart.status, cart.order = CartStatus.CONVERTED, order
        return True
    if Cart.objects.filter(pk=cart.pk, status=CartStatus.OPEN).exists():
        raise Conflict(
            "The cart changed while the order was being placed: check it and "
            "place the order again.",
            code="cart_changed",
        )
    return False


def _cart_line(cart: Cart, line_id) -> CartLine:
    """The cart's line ``line_id``. The id of a line of a cart folded into this one
    (a read before the fold showed it: ``fold_lines``) names this cart's line of the
    same variant."""
    try:
        pk = int(line_id)
    except (TypeError, ValueError):
        pk = None
    line = None
    if pk is not None and cart.pk is not None:
        lines = CartLine.objects.select_related("variant__product")
        line = lines.filter(pk=pk, cart=cart).first()
        if line is None:
            folded = CartLine.objects.filter(pk=pk, cart__merged_into=cart)
            variant = Subquery(folded.values("variant_id"))
            line = lines.filter(cart=cart, variant_id=variant).first()
    if line is None:
        raise _line_not_found()
    return line


def _line_not_found() -> NotFound:
    return NotFound("No such line in this cart.")


@transaction.atomic
def set_cart_line_quantity(
    *, cart: Cart, line_id: int, quantity: int, now: datetime | None = None
) -> CartLine:
    """A line's new quantity. An item retired since the line was added may be
    lowered (or removed), never raised: refused as adding it would be."""
    check_cart_changeable(cart)
    line = _cart_line(cart, line_id)
    if check_quantity(quantity) > line.quantity and not on_sale(line.variant):
        sellable_variants([line.variant_id])
    line.quantity = quantity
    _touch(cart, now or timezone.now())
    # A conditional update: a removal of the same line committed meanwhile leaves no
    # row to change, which is the line not found, not a server error.
    if not CartLine.objects.filter(pk=line.pk).update(quantity=line.quantity):
        raise _line_not_found()
    return line


@transaction.atomic
def remove_cart_line(*, cart: Cart, line_id: int, now: datetime | None = None) -> None:
    check_cart_changeable(cart)
    line = _cart_line(cart, line_id)
    _touch(cart, now or timezone.now())
    deleted, _ = line.delete()
    if not deleted:  # removed by a parallel request since it was read
        raise _line_not_found()


@transaction.atomic
def merge_anonymous_cart(
    *, token: str, customer: Customer, channel: str = Channel.WEB
) -> Cart:
    """Fold an anonymous cart into the customer's open cart (quantities add up).

    Runs when a signed-in request still carries the token of a cart filled before
    signing in; the anonymous cart is kept, marked merged, pointing at the survivor.
    The cart returned lists in ``not_merged`` what the fold left out (``fold_lines``:
    past the cart's or a line's limit), for the request that folds to say so; it is
    empty when nothing was folded. A customer cart created for the fold is of
    ``channel``.
    """
    target = ensure_customer_cart(customer=customer, channel=channel)
    target.not_merged = []
    source = (
        Cart.objects.select_for_update()
        .filter(token=token, status=CartStatus.OPEN, customer__isnull=True)
        .first()
    )
    if source is None or source.pk == target.pk:
        return target
    target.not_merged = _fold_lines(source=source, target=target)
    return target


def _fold_lines(*, source: Cart, target: Cart) -> list[LeftOut]:
    """Fold ``source``'s lines into ``target`` and close it; returns what was left
    out."""
    now = timezone.now()
    kept = list(CartLine.objects.filter(cart=target))
    folded = cart_lines(source)
    theirs = {line.variant_id for line in folded}
    fold = fold_lines(into=target, kept=kept, folded=folded, most=MAX_LINE_QUANTITY)
    rows = [
        CartLine(
            cart=target,
            variant_id=line.variant_id,
            quantity=line.quantity,
            helped_by_id=line.helped_by_id,
        )
        for line in fold.lines
        if line.variant_id in theirs
    ]
    if rows:
        CartLine.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["cart", "variant"],
            update_fields=["quantity", "helped_by"],
        )
    Cart.objects.filter(pk=source.pk).update(
        status=CartStatus.MERGED, merged_into=target, updated_at=now
    )
    _touch(target, now)
    return fold.left_out


def fold_customer_carts(*, survivor: Customer, other: Customer) -> int:
    """Customers merge: the loser's open cart folds into the survivor's (one open cart
    per customer); returns how many carts were folded."""
    source = Cart.objects.filter(customer=other, status=CartStatus.OPEN).first()
    if source is None:
        return 0
    target = Cart.objects.filter(customer=survivor, status=CartStatus.OPEN).first()
    if target is None:
        return 0  # nothing to clash with: the merge re-points the cart as it is
    _fold_lines(source=source, target=target)
    return 1
