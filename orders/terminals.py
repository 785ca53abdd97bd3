"""Card-present terminals: the interface the counter talks to, and a simulated one.

A ``TerminalProvider`` sends an amount to a reader (``start``), reports what became of
it when asked (``outcome``, for polling), stops it (``cancel``) and gives back a
collected payment whose sale could not be placed (``reverse``). The counter polls for
the result; an adapter whose provider pushes results by webhook adds its receiving view,
which calls ``orders.services.terminals.settle_terminal_intent`` as a poll does.

Every call carries the intent's idempotency key, so a repeated start never makes the
reader ask twice. A real adapter (for example Stripe Terminal) subclasses
``TerminalProvider`` and is registered with ``register_terminal_provider``; settings
choose it by name (``OMNISTORE_TERMINAL_PROVIDER``) for readers paired with it.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

PENDING = "pending"


@dataclass(frozen=True)
class TerminalRequest:
    """What a reader is asked to collect: ``cart_reference`` names the basket on
    the provider's side (its receipts and disputes point back at it)."""

    device_id: str
    amount: Decimal
    currency: str
    cart_reference: str
    idempotency_key: str


@dataclass(frozen=True)
class TerminalOutcome:
    """``status`` is ``pending`` or one of the results (``succeeded``, ``declined``,
    ``cancelled``, ``timed_out``); ``message`` is what the reader said."""

    status: str
    message: str = ""


class TerminalProvider(ABC):
    name: str
    # The payment provider that refunds this terminal's payments later
    # (``orders.payments``): a card-present charge is refunded like any other.
    payment_provider: str
    # A simulated reader is driven from the staff page (approve / decline buttons).
    simulated: bool = False

    @abstractmethod
    def start(self, request: TerminalRequest) -> str:
        """Send the amount to the reader; return the provider's reference."""

    @abstractmethod
    def outcome(self, provider_reference: str) -> TerminalOutcome:
        """What became of the payment so far."""

    @abstractmethod
    def cancel(self, provider_reference: str) -> None:
        """Stop the reader waiting for this payment (no effect once it has a result)."""

    @abstractmethod
    def reverse(
        self, provider_reference: str, *, amount: Decimal, idempotency_key: str
    ) -> None:
        """Give back a collected payment whose sale was refused."""


class SimulatedTerminal(TerminalProvider):
    """No reader: each payment waits until a test or the staff page's simulate
    control decides it (``decide``). It keeps what it did per process, so tests can
    see a key started once, a cancel or a reversal."""

    name = "simulated"
    payment_provider = "test"
    simulated = True

    def __init__(self):
        self._lock = threading.Lock()
        self.started: dict[str, TerminalRequest] = {}
        self.outcomes: dict[str, TerminalOutcome] = {}
        self.cancelled: set[str] = set()
        self.reversed: dict[str, Decimal] = {}

    @staticmethod
    def reference_for(idempotency_key: str) -> str:
        return f"tmr_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"

    def start(self, request):
        reference = self.reference_for(request.idempotency_key)
        with self._lock:
            self.started.setdefault(reference, request)
        return reference

    def decide(self, provider_reference: str, status: str, message: str = "") -> None:
        """The simulated customer presents a card (``succeeded``), or the bank says
        no (``declined``), or the reader gives up (``timed_out``)."""
        with self._lock:
            self.outcomes.setdefault(
                provider_reference, TerminalOutcome(status, message)
            )

    def outcome(self, provider_reference):
        with self._lock:
            return self.outcomes.get(provider_reference, TerminalOutcome(PENDING))

    def cancel(self, provider_reference):
        with self._lock:
            self.cancelled.add(provider_reference)
            self.outcomes.setdefault(
                provider_reference, TerminalOutcome("cancelled", "Cancelled.")
            )

    def reverse(self, provider_reference, *, amount, idempotency_key):
        with self._lock:
            self.reversed.setdefault(idempotency_key, amount)


_PROVIDERS: dict[str, TerminalProvider] = {}


def register_terminal_provider(provider: TerminalProvider) -> TerminalProvider:
    _PROVIDERS[provider.name] = provider
    return provider


register_terminal_provider(SimulatedTerminal())


def get_terminal_provider(name: str) -> TerminalProvider:
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise LookupError(f"No terminal provider named {name!r}") from None
