"""Which provider takes the money: ``OMNISTORE_PAYMENT_PROVIDER`` names it.

Production settings set ``OMNISTORE_PAYMENT_TEST_PROVIDER_ALLOWED = False``: then the
test provider, which accepts any ``tok_`` string as a paid card, cannot be selected.
The app refuses to start with it (``refuse_test_money`` from ``OrdersConfig.ready``)
and ``manage.py check --deploy`` reports it, with a missing Stripe key or webhook
secret, through ``check_payment_settings``.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from omnistore.core.channels import is_online
from orders.models import PaymentMethod

from .base import PaymentProvider
from .cash import CashProvider
from .shop_terminal import ShopTerminalProvider
from .stripe import StripePaymentProvider
from .testing import TestPaymentProvider

_PROVIDERS: dict[str, PaymentProvider] = {}

TEST_MONEY_REFUSED = (
    "OMNISTORE_PAYMENT_PROVIDER is 'test' but these settings refuse test money "
    "(OMNISTORE_PAYMENT_TEST_PROVIDER_ALLOWED is False): set "
    "OMNISTORE_PAYMENT_PROVIDER=stripe with STRIPE_SECRET_KEY and "
    "STRIPE_WEBHOOK_SECRET."
)


def register_provider(provider: PaymentProvider) -> PaymentProvider:
    _PROVIDERS[provider.name] = provider
    return provider


register_provider(TestPaymentProvider())
register_provider(StripePaymentProvider())
register_provider(CashProvider())
register_provider(ShopTerminalProvider())

# Methods no gateway takes, whatever the configuration: cash goes into the till, a
# card in store is taken on the shop's terminal.
COUNTER_PROVIDERS = {
    PaymentMethod.CASH: CashProvider.name,
    PaymentMethod.CARD_IN_STORE: ShopTerminalProvider.name,
}
# What a customer presents at a counter, on the shop's card reader or terminal: a
# phone or watch paying is a contactless card there, as the card is.
CARD_PRESENT_METHODS = frozenset(
    {PaymentMethod.CARD_IN_STORE, PaymentMethod.MOBILE_WALLET}
)


def configured_provider_name() -> str:
    return getattr(settings, "OMNISTORE_PAYMENT_PROVIDER", "test")


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider ``name`` (a payment's own, for its refunds and captures), or the
    configured one for new payments; never the test provider where it is refused."""
    name = name or configured_provider_name()
    if name == TestPaymentProvider.name and not _test_money_allowed():
        raise ImproperlyConfigured(TEST_MONEY_REFUSED)
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise LookupError(f"No payment provider named {name!r}") from None


def provider_for(method: str, *, channel: str | None = None) -> PaymentProvider:
    """The provider a new payment by ``method`` goes through. Cash is counted into
    the till; a card or mobile wallet presented at a counter (a sale on a channel
    that is not online) was taken on the shop's terminal; everything else, and
    anything whose ``channel`` is not said, goes through the configured provider,
    which checks it was paid."""
    name = COUNTER_PROVIDERS.get(method)
    at_counter = channel is not None and not is_online(channel)
    if name is None and at_counter and method in CARD_PRESENT_METHODS:
        name = ShopTerminalProvider.name
    return get_provider(name)


def _test_money_allowed() -> bool:
    return getattr(settings, "OMNISTORE_PAYMENT_TEST_PROVIDER_ALLOWED", True)


def refuse_test_money() -> None:
    """Raise ``ImproperlyConfigured`` when the settings select the test provider where
    test money is refused; called when the app starts."""
    if configured_provider_name() == TestPaymentProvider.name and not (
        _test_money_allowed()
    ):
        raise ImproperlyConfigured(TEST_MONEY_REFUSED)


@checks.register(checks.Tags.security, deploy=True)
def check_payment_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``check --deploy``: a deployment takes real money, verified."""
    errors = []
    name = configured_provider_name()
    if name == TestPaymentProvider.name:
        errors.append(
            checks.Error(
                "The test payment provider is configured: it accepts any 'tok_' "
                "string as a paid card.",
                hint="Set OMNISTORE_PAYMENT_PROVIDER=stripe with STRIPE_SECRET_KEY "
                "and STRIPE_WEBHOOK_SECRET.",
                id="orders.E001",
            )
        )
    elif name == StripePaymentProvider.name:
        for setting in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
            if not getattr(settings, setting, ""):
                errors.append(
                    checks.Error(
                        f"{setting} is empty: Stripe payments cannot be "
                        + ("taken." if setting == "STRIPE_SECRET_KEY" else "verified."),
                        hint=f"Set {setting} in the environment.",
                        id="orders.E002",
                    )
                )
    elif name not in _PROVIDERS:
        errors.append(
            checks.Error(
                f"No payment provider named {name!r}.",
                hint="Set OMNISTORE_PAYMENT_PROVIDER to 'stripe'.",
                id="orders.E003",
            )
        )
    return errors
