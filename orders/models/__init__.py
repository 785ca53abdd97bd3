"""The orders app's models, one module per sub-domain; Django and callers import them
from here (``from orders.models import Order``)."""

from orders.models.carts import (
    CART_TOKENS,
    Cart,
    CartLine,
    CartStatus,
)
from orders.models.credit import (
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.models.discounts import (
    DiscountChannels,
    DiscountCode,
    DiscountKind,
    DiscountRedemption,
)
from orders.models.giftcards import (
    GiftCard,
    GiftCardKind,
    GiftCardStatus,
    GiftCardTransaction,
    GiftCardTxnKind,
)
from orders.models.invoices import (
    NUMBER_PREFIX,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
)
from orders.models.orders import (
    ORDER_FULFILMENT_CHOICES,
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    OrderTaxTotal,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
)
from orders.models.payments import (
    PaymentEvent,
    PaymentEventKind,
    ProcessedWebhookEvent,
)
from orders.models.returns import (
    RefundMethod,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnLine,
    ReturnReason,
    ReturnRefund,
    ReturnStatus,
    ReturnStatusChange,
)
from orders.models.terminals import (
    TERMINAL_RESULTS,
    TerminalDevice,
    TerminalIntent,
    TerminalIntentEvent,
    TerminalIntentStatus,
)
from orders.models.till import (
    Register,
    TillMovement,
    TillMovementKind,
    TillSession,
    TillSessionStatus,
)

__all__ = [
    "GiftCard",
    "GiftCardKind",
    "GiftCardStatus",
    "GiftCardTransaction",
    "GiftCardTxnKind",
    "CartStatus",
    "CART_TOKENS",
    "Cart",
    "CartLine",
    "OrderStatus",
    "FulfilmentMethod",
    "ORDER_FULFILMENT_CHOICES",
    "Order",
    "FulfilmentStatus",
    "Fulfilment",
    "OrderLine",
    "OrderTaxTotal",
    "PaymentMethod",
    "PaymentStatus",
    "Payment",
    "Refund",
    "PaymentEvent",
    "PaymentEventKind",
    "ProcessedWebhookEvent",
    "OrderStatusChange",
    "ReturnStatus",
    "RefundMethod",
    "ReturnReason",
    "ReturnCondition",
    "ReturnDisposition",
    "Return",
    "ReturnLine",
    "ReturnStatusChange",
    "ReturnRefund",
    "StoreCreditKind",
    "StoreCreditTransaction",
    "DiscountKind",
    "DiscountChannels",
    "DiscountCode",
    "DiscountRedemption",
    "Register",
    "TillSession",
    "TillSessionStatus",
    "TillMovement",
    "TillMovementKind",
    "TERMINAL_RESULTS",
    "TerminalDevice",
    "TerminalIntent",
    "TerminalIntentEvent",
    "TerminalIntentStatus",
    "NUMBER_PREFIX",
    "Invoice",
    "InvoiceCounter",
    "InvoiceKind",
]
