"""What the orders app holds about a person, for the export (its sections are
``orders.selectors.personal_data``) and the erasure that ``customers.privacy`` runs
(registered by ``OrdersConfig.ready``).

Orders, returns, payments and the store credit ledger stay for the books: amounts,
dates, statuses, codes and references are kept. Contact data, delivery addresses and
what people typed into notes and reasons go (staff, the customer, a manager asked
about their sale), and order and return emails not sent yet are cancelled. What the
code itself wrote there names no one and stays (``Composed``): "Placed via Website",
"Pickup code verified", a refund's "Return R-…"; where it wrote a reason someone
typed after its own words ("Identity checked: …"), only that reason goes.

A person with orders still to be shipped or collected, or a return still open, is not
erased yet: the address, the email with the pickup code and the person to hand the
goods to are still needed. The erasure is refused (409 ``open_orders``, naming them)
and nothing is erased. So is it while a sale for the person waits on a shop's card
terminal (409 ``sale_in_progress``): the card may pay at any moment, and the sale is
then placed from what the intent keeps of it. So is the buyer of an e-gift card still
to be sent (409 ``gift_card_to_send``): its recipient would never get it. Gift cards
others bought for an email the person proved is theirs lose the person's email, name
and message once sent; one still to be sent keeps them, as it must still reach them.
An email only typed (at sign-up, at a checkout) may be anyone's: cards sent there are
neither exported nor erased with this person. Store credit still held is a balance
the person gives up knowingly (``customers.services.erasure``); once given up, it is
written off as a ``forfeit`` row of its ledger, so it is no longer owed.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from customers.models import Customer
from customers.privacy import (
    FORFEIT_REASON,
    Balance,
    Erasure,
    PersonalData,
    Texts,
    blank_texts,
)
from customers.selectors.export import iso
from omnistore.approvals.models import OPEN_STATUSES, Approval, ApprovalKind
from omnistore.approvals.services.approvals import end_open_requests
from omnistore.core.exceptions import Conflict
from omnistore.core.models import OutboxMessage
from omnistore.core.redaction import cancel_pending
from orders.emails import RETURN_TOPIC
from orders.emails import TOPIC as ORDER_EMAIL_TOPIC
from orders.models import (
    Cart,
    CartLine,
    DeliveryFeeWaiver,
    DiscountRedemption,
    Fulfilment,
    GiftCard,
    GiftCardTransaction,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    OrderTaxTotal,
    Payment,
    PaymentEvent,
    Refund,
    Return,
    ReturnLine,
    ReturnRefund,
    ReturnStatus,
    ReturnStatusChange,
    StoreCreditKind,
    StoreCreditTransaction,
    TerminalIntent,
    TerminalIntentEvent,
    TerminalIntentStatus,
    TillMovement,
)
from orders.privacy_texts import (
    APPROVAL_REASONS,
    CREDIT_REASONS,
    ERASURE_NOTE,
    ORDER_NOTES,
    PAYMENT_NOTES,
    REFUND_REASONS,
    RETURN_NOTES,
    RETURN_REQUEST_NOTES,
    TILL_REASONS,
    WAIVER_SUMMARIES,
)
from orders.selectors.credit import credit_currency
from orders.selectors.orders import approval_subjects
from orders.selectors.personal_data import (
    export_order_sections,
    gift_cards_sent_to,
    orders_of,
    returns_of,
)
from orders.services.credit import book_store_credit
from orders.services.egift import e_gift_cards_to_send

CANCELLED_FOR_ERASURE = "Cancelled: the recipient's data was erased on request."
# Keys of a delivery address that name or reach the person (not the town).
ADDRESS_VALUES = ("name", "line1", "line2", "phone")
# Orders still to be shipped or collected, returns not yet refunded or closed: the
# person's contact data is still needed for them, so no erasure meanwhile.
OPEN_ORDER_STATUSES = (OrderStatus.PLACED, OrderStatus.PICKED, OrderStatus.READY)
OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)
# Card payments at a counter not finished yet: the card may still pay, or it paid and
# the sale is still to be placed from what the intent keeps of it (``sale``).
WAITING_INTENT_STATUSES = (TerminalIntentStatus.PENDING, TerminalIntentStatus.SUCCEEDED)


def order_values(customer_ids: tuple[int, ...]) -> set[str]:
    """Contact data and delivery addresses on the person's orders."""
    orders = orders_of(customer_ids)
    values: set[str] = set()
    for email, phone in orders.values_list("email", "phone"):
        values |= {email, phone}
    for address in Fulfilment.objects.filter(order__in=orders).values_list(
        "address", flat=True
    ):
        values |= {str(address.get(key) or "") for key in ADDRESS_VALUES}
    values.discard("")
    return values


def _open_ones(customer_ids: tuple[int, ...]) -> tuple[list[str], list[str]]:
    """Numbers of the person's orders still to be shipped or collected, and codes of
    their returns still open, oldest first."""
    orders = (
        orders_of(customer_ids)
        .filter(status__in=OPEN_ORDER_STATUSES)
        .order_by("created_at", "id")
        .values_list("number", flat=True)
    )
    returns = (
        returns_of(customer_ids)
        .filter(status__in=OPEN_RETURN_STATUSES)
        .order_by("created_at", "id")
        .values_list("code", flat=True)
    )
    return list(orders), list(returns)


def _waiting(kind: str, refs: list[str], state: str, advice: str) -> str:
    """One kind of what is still open, named, with what to do about it."""
    if len(refs) == 1:
        named, pronoun = f"{kind} {refs[0]} is", "it"
    else:
        named, pronoun = f"{kind}s {', '.join(refs)} are", "them"
    return f"{named} {state} ({advice.format(it=pronoun)})"


def refuse_while_open(customer_ids: tuple[int, ...]) -> None:
    """Refuse (409 ``open_orders``) while an order of the person is still to be
    shipped or collected, or a return of theirs is still open, naming them and what
    can be done about them."""
    orders, returns = _open_ones(customer_ids)
    if not orders and not returns:
        return
    waiting = []
    if orders:
        waiting.append(
            _waiting(
                "order",
                orders,
                "still to be shipped or collected",
                "wait for {it} to be shipped or collected, or cancel {it} first",
            )
        )
    if returns:
        waiting.append(
            _waiting(
                "return",
                returns,
                "still open",
                "withdraw {it} with POST /api/v1/returns/{{code}}/cancel/ while not "
                "brought or sent back yet, or, once received, wait for {it} to be "
                "refunded",
            )
        )
    raise Conflict(
        f"The personal data cannot be erased yet: {' and '.join(waiting)}. "
        "Then ask again.",
        code="open_orders",
        extra={"orders": orders, "returns": returns},
    )


def _cards_to_send(customer_ids: tuple[int, ...]) -> list[GiftCard]:
    """E-gift cards the person bought that are still to be sent, first due first."""
    return list(
        e_gift_cards_to_send()
        .filter(order__customer_id__in=customer_ids)
        .order_by("send_on", "id")
    )


def refuse_while_gift_cards_to_send(customer_ids: tuple[int, ...]) -> None:
    """Refuse (409 ``gift_card_to_send``) while an e-gift card the person bought is
    still to be sent: without its recipient's address it would never leave, and the
    money paid for it would reach nobody."""
    cards = _cards_to_send(customer_ids)
    if not cards:
        return
    named = ", ".join(
        f"{card.masked_number} (to be sent on {iso(card.send_on)})" for card in cards
    )
    one = len(cards) == 1
    raise Conflict(
        "The personal data cannot be erased yet: "
        f"{'the e-gift card' if one else 'the e-gift cards'} {named} bought for "
        f"someone else {'is' if one else 'are'} still to be sent. Wait until "
        f"{'it is' if one else 'they are'} sent, or ask the shop to cancel and "
        f"refund {'it' if one else 'them'} first. Then ask again.",
        code="gift_card_to_send",
        extra={
            "gift_cards": [
                {"number": card.masked_number, "send_on": iso(card.send_on)}
                for card in cards
            ]
        },
    )


def _intents_for(erasure: Erasure, orders: QuerySet[Order]) -> QuerySet[TerminalIntent]:
    """Card payments at a counter for the person: for one of their orders, on their
    basket, or for a sale naming them by the phone, email or loyalty card the
    associate attached (among ``erasure.values``, read before anything is erased)."""
    values = sorted(erasure.values)
    return TerminalIntent.objects.filter(
        Q(order__in=orders)
        | Q(cart__customer_id__in=erasure.customer_ids)
        | Q(sale__customer__phone__in=values)
        | Q(sale__customer__email__in=values)
        | Q(sale__customer__loyalty_number__in=values)
    )


def refuse_while_card_waits(erasure: Erasure) -> None:
    """Refuse (409 ``sale_in_progress``) while a sale for the person waits on a
    shop's card terminal: once the card pays, the sale is placed from what its
    intent keeps (the buyer, the delivery address), which the erasure would take
    away, and the card would be charged for a sale that can no longer be placed."""
    references = list(
        _intents_for(erasure, orders_of(erasure.customer_ids))
        .filter(status__in=WAITING_INTENT_STATUSES)
        .order_by("created_at", "id")
        .values_list("reference", flat=True)
    )
    if not references:
        return
    waiting = _waiting(
        "counter sale",
        references,
        "still waiting on the shop's card terminal",
        "let the card payment finish at the counter, or cancel {it} there first",
    )
    raise Conflict(
        f"The personal data cannot be erased yet: {waiting}. Then ask again.",
        code="sale_in_progress",
        extra={"terminal_payments": references},
    )


def check_erasure(erasure: Erasure) -> None:
    """Refused, before anything is erased, while orders or returns are still open,
    a sale for the person waits on a card terminal, or an e-gift card the person
    bought is still to be sent."""
    refuse_while_open(erasure.customer_ids)
    refuse_while_card_waits(erasure)
    refuse_while_gift_cards_to_send(erasure.customer_ids)


def store_credit_held(customer_ids: tuple[int, ...]) -> list[Balance]:
    """Store credit still on the profile (in the home currency, where it is kept)."""
    amount = sum(
        Customer.objects.filter(pk__in=customer_ids).values_list(
            "store_credit_balance", flat=True
        ),
        Decimal("0.00"),
    )
    if amount <= 0:
        return []
    currency = credit_currency()
    return [
        Balance(
            "store_credit",
            {"amount": str(amount), "currency": currency},
            f"{amount} {currency} of store credit",
        )
    ]


def forfeit_store_credit(erasure: Erasure) -> None:
    """Store credit given up with the erasure is written off: one ``forfeit`` row for
    what the live profile holds (a merged profile's went to it), once per profile
    (``forfeit:<id>``), so its balance and ledger read 0 and the liability report no
    longer counts it as owed."""
    pk = erasure.customer.pk
    held = Customer.objects.filter(pk=pk).values_list(
        "store_credit_balance", flat=True
    )[0]
    if held <= 0:
        return
    book_store_credit(
        customer_id=pk,
        amount=-held,
        currency=credit_currency(),
        kind=StoreCreditKind.FORFEIT,
        reason=FORFEIT_REASON,
        reference=f"forfeit:{pk}",
        actor=erasure.actor,
        now=erasure.now,
    )


def _erase_gift_cards(erasure: Erasure, orders: QuerySet[Order]) -> None:
    """Cards the person bought, and cards others bought for an email the person
    proved is theirs (``gift_cards_sent_to``), lose recipient and message once sent;
    a card still to be sent keeps them, as it must still reach its recipient (its
    buyer's erasure waits for it, ``refuse_while_gift_cards_to_send``). A card sent
    to an address the person only typed is left to its buyer and recipient. Runs
    before the profile's identities go (``erase_customer``)."""
    received = gift_cards_sent_to(erasure.customer_ids).values("pk")
    GiftCard.objects.filter(Q(order__in=orders) | Q(pk__in=received)).exclude(
        pk__in=e_gift_cards_to_send().values("pk")
    ).exclude(recipient_email="", recipient_name="", sender_name="", message="").update(
        recipient_email="", recipient_name="", sender_name="", message=""
    )
    blank_texts(GiftCardTransaction.objects.filter(order__in=orders), "reason")


def erase_order_data(erasure: Erasure) -> None:
    """Orders stay for the books, the contact data and addresses on them go, and so
    does what people typed in their notes and reasons (what the code wrote there
    stays); order and return emails still waiting are cancelled. Runs once
    ``check_erasure`` let the erasure go."""
    orders = orders_of(erasure.customer_ids)
    returns = returns_of(erasure.customer_ids)
    Fulfilment.objects.filter(order__in=orders).exclude(address={}).update(address={})
    # the digest of the checkout that made each order, its contact data in it
    orders.update(email="", phone="", idempotency_fingerprint="")
    history = OrderStatusChange.objects.filter(order__in=orders)
    blank_texts(history, "note", keep=ORDER_NOTES)
    refunds = Refund.objects.filter(payment__order__in=orders)
    blank_texts(refunds, "reason", keep=REFUND_REASONS)
    events = PaymentEvent.objects.filter(payment__order__in=orders)
    blank_texts(events, "note", keep=PAYMENT_NOTES)
    till = TillMovement.objects.filter(order__in=orders)
    blank_texts(till, "reason", keep=TILL_REASONS)
    blank_texts(returns, "note", keep=RETURN_REQUEST_NOTES)
    blank_texts(returns, "override_reason")
    # a digest of what the customer asked for, their notes included
    returns.exclude(idempotency_fingerprint="").update(idempotency_fingerprint="")
    blank_texts(ReturnLine.objects.filter(return_request__in=returns), "note")
    steps = ReturnStatusChange.objects.filter(return_request__in=returns)
    blank_texts(steps, "note", keep=RETURN_NOTES)
    credit = StoreCreditTransaction.objects.filter(customer_id__in=erasure.customer_ids)
    blank_texts(credit, "reason", keep=CREDIT_REASONS)
    _erase_gift_cards(erasure, orders)
    _erase_terminal_sales(erasure, orders)
    _erase_counter_texts(erasure, orders)
    order_ids = list(orders.values_list("pk", flat=True))
    return_ids = list(returns.values_list("pk", flat=True))
    cancel_pending(
        OutboxMessage.objects.filter(
            Q(topic=ORDER_EMAIL_TOPIC, payload__order_id__in=order_ids)
            | Q(topic=RETURN_TOPIC, payload__return_id__in=return_ids)
        ),
        reason=CANCELLED_FOR_ERASURE,
    )


def _erase_counter_texts(erasure: Erasure, orders: QuerySet[Order]) -> None:
    """Why a price was changed on the person's sale lines (their baskets' and their
    orders') or a delivery fee waived on their orders, and what the associate and
    the manager wrote when a manager was asked about them: a price on one of their
    lines, a discount or a delivery fee waived on their basket, their orders (a
    refund, a cancellation, an identity checked at a pickup, a return) and gift
    cards they bought."""
    carts = Cart.objects.filter(
        Q(customer_id__in=erasure.customer_ids) | Q(order__in=orders)
    )
    lines = CartLine.objects.filter(cart__in=carts)
    blank_texts(lines, "counter_price_reason")
    blank_texts(OrderLine.objects.filter(order__in=orders), "price_reason")
    blank_texts(DeliveryFeeWaiver.objects.filter(order__in=orders), "reason")
    approvals = Approval.objects.filter(_approvals_about(carts, lines, orders))
    # Ended first: two still open, asked in different words, would be the same
    # request twice once their words are blanked.
    ended = list(
        approvals.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True)
    )
    blank_texts(approvals.exclude(pk__in=ended), "decision_note")
    end_open_requests(approvals, note=ERASURE_NOTE)
    blank_texts(approvals, "reason", keep=APPROVAL_REASONS)
    waivers = approvals.filter(kind=ApprovalKind.DELIVERY_FEE_WAIVER)
    blank_texts(waivers, "summary", keep=WAIVER_SUMMARIES)


def _approvals_about(
    carts: QuerySet[Cart], lines: QuerySet[CartLine], orders: QuerySet[Order]
) -> Q:
    """The subjects of managers' approvals about these carts, lines, orders and the
    gift cards the orders sold (``orders.services.approvals``, ``giftcards``)."""
    subjects = {
        subject
        for order in orders.only("number")
        for subject in approval_subjects(order)
    }
    for pk in lines.values_list("pk", flat=True):
        subjects |= {f"cartline:{pk}", f"cartline:{pk}:up"}
    for number in GiftCard.objects.filter(order__in=orders).values_list(
        "number", flat=True
    ):
        subjects.add(f"gift_card:{number}")
    about = Q(subject__in=subjects)
    for pk in carts.values_list("pk", flat=True):
        about |= Q(subject__startswith=f"cart:{pk}:")
    return about


def _erase_terminal_sales(erasure: Erasure, orders: QuerySet[Order]) -> None:
    """A card payment at the counter keeps the sale it was for (the buyer's contact,
    a delivery address): once finished it goes, for the person's orders and for
    intents that never became one but name them. One still waiting needs it to
    place the sale (``refuse_while_card_waits`` holds the erasure meanwhile), so it
    is left alone."""
    intents = _intents_for(erasure, orders).exclude(status__in=WAITING_INTENT_STATUSES)
    blank_texts(TerminalIntentEvent.objects.filter(intent__in=intents), "note")
    intents.exclude(sale={}).update(sale={})


def _order_texts() -> dict:
    """The order book's rows: the order, its lines, fulfilments and returns."""
    status_change = Texts(erased=("note",), kept=("from_status", "to_status"))
    return {
        Order: Texts(
            erased=("email", "phone", "idempotency_fingerprint"),
            kept=("number", "channel", "status", "fulfilment_method", "currency")
            + ("idempotency_scope", "idempotency_key", "discount_code")
            + ("pickup_code", "tax_country"),
        ),
        Fulfilment: Texts(
            erased=("address",),
            kept=("method", "status", "tracking_reference", "carrier"),
        ),
        OrderLine: Texts(erased=("price_reason",), kept=("sku", "name", "tax_class")),
        OrderTaxTotal: Texts(kept=("tax_class",)),
        OrderStatusChange: status_change,
        Return: Texts(
            erased=("note", "override_reason", "idempotency_fingerprint"),
            kept=("code", "status", "started_channel", "refund_method")
            + ("idempotency_scope", "idempotency_key"),
        ),
        ReturnLine: Texts(
            erased=("note",), kept=("reason", "condition", "disposition")
        ),
        ReturnStatusChange: status_change,
    }


def _money_texts() -> dict:
    """Payments, refunds, the till, gift cards, credit, carts and invoices."""
    return {
        Payment: Texts(
            kept=("method", "currency", "provider", "provider_reference") + ("status",)
        ),
        Refund: Texts(
            erased=("reason",),
            kept=("reference", "provider_reference", "currency", "given_as"),
        ),
        PaymentEvent: Texts(
            erased=("note",),
            kept=("kind", "from_status", "to_status", "provider_reference")
            + ("source",),
        ),
        TillMovement: Texts(erased=("reason",), kept=("kind",)),
        ReturnRefund: Texts(),
        StoreCreditTransaction: Texts(
            erased=("reason",), kept=("kind", "currency", "reference")
        ),
        # A gift card bought by the person, or sent to them: who it was for, who
        # gave it and the message go once it is sent; the card and its ledger
        # stay (money still on it belongs to the bearer).
        GiftCard: Texts(
            erased=("recipient_email", "recipient_name", "sender_name", "message"),
            kept=("number", "pin_hash", "kind", "status", "currency"),
        ),
        GiftCardTransaction: Texts(
            erased=("reason",), kept=("kind", "currency", "reference")
        ),
        Cart: Texts(kept=("token", "channel", "status")),
        CartLine: Texts(erased=("counter_price_reason",)),
        DeliveryFeeWaiver: Texts(erased=("reason",), kept=("currency",)),
        DiscountRedemption: Texts(),
        TerminalIntent: Texts(
            erased=("sale",),
            kept=("reference", "idempotency_key", "currency", "provider")
            + ("provider_reference", "status", "message"),
        ),
        TerminalIntentEvent: Texts(
            erased=("note",), kept=("from_status", "to_status", "source")
        ),
        # An issued invoice is a tax document the seller must keep as issued
        # (ten years in Italy): the law that requires it outweighs erasure.
        Invoice: Texts(
            kept=("kind", "number", "currency", "lines", "vat")
            + ("seller_name", "seller_address", "seller_country")
            + ("seller_vat_number", "buyer_name", "buyer_company")
            + ("buyer_address", "buyer_country", "buyer_vat_number"),
        ),
    }


def personal_data() -> PersonalData:
    return PersonalData(
        name="orders",
        models={**_order_texts(), **_money_texts()},
        export=export_order_sections,
        erase=erase_order_data,
        values=order_values,
        check=check_erasure,
        balances=store_credit_held,
        forfeit=forfeit_store_credit,
    )
