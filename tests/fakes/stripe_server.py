"""A fake Stripe API on 127.0.0.1 for the adapter's tests.

It answers the calls the adapter makes, with the shapes of Stripe's documented
objects: PaymentIntents (``id``, ``object``, ``status``, ``amount``,
``amount_capturable``, ``amount_received``, ``currency``, ``capture_method``,
``latest_charge``), Refunds, and error bodies ``{"error": {"type", "code", ...}}``.
Like Stripe, it replays the first answer to a repeated ``Idempotency-Key``. Tests
can make the next calls fail: an error answer, or the connection closed without one.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_fake{next(_ids):08d}"


class FakeStripe:
    def __init__(self):
        self.lock = threading.Lock()
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.replies: dict[str, tuple[int, dict]] = {}
        self.requests: list[tuple[str, str, str]] = []  # method, path, idempotency key
        self.drop = 0  # connections to close without answering
        self.failures: list[tuple[int, dict]] = []  # answers to give instead
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # What a storefront and Stripe would have done before our server is asked.

    def intent(
        self,
        amount_minor: int,
        currency: str = "eur",
        *,
        status: str = "requires_capture",
        capture_method: str = "manual",
    ) -> dict:
        """A PaymentIntent the customer confirmed (held, or paid when automatic)."""
        paid = status == "succeeded"
        intent = {
            "id": _id("pi"),
            "object": "payment_intent",
            "amount": amount_minor,
            "amount_capturable": amount_minor if status == "requires_capture" else 0,
            "amount_received": amount_minor if paid else 0,
            "capture_method": capture_method,
            "currency": currency,
            "status": status,
            "latest_charge": _id("ch") if status != "requires_payment_method" else None,
            "livemode": False,
            "metadata": {},
            "created": int(time.time()),
            "canceled_at": None,
            "cancellation_reason": None,
        }
        self.intents[intent["id"]] = intent
        return intent

    def confirm(self, intent_id: str) -> dict:
        """The customer confirms a created intent in the browser: a manual capture
        is held, an automatic one paid."""
        intent = self.intents[intent_id]
        held = intent["capture_method"] == "manual"
        intent.update(
            status="requires_capture" if held else "succeeded",
            amount_capturable=intent["amount"] if held else 0,
            amount_received=0 if held else intent["amount"],
            latest_charge=_id("ch"),
        )
        return intent

    def capture(self, intent_id: str, amount_minor: int | None = None) -> dict:
        """Someone captures a held intent in Stripe's dashboard, perhaps for less
        than was held (Stripe lets the rest of the hold go)."""
        with self.lock:
            status, intent = self._capture(
                self.intents[intent_id],
                {} if amount_minor is None else {"amount_to_capture": amount_minor},
            )
        assert status == 200, intent
        return intent

    def expire(self, intent_id: str) -> None:
        """Stripe cancels a hold that was never captured."""
        self.intents[intent_id].update(
            status="canceled",
            amount_capturable=0,
            canceled_at=int(time.time()),
            cancellation_reason="automatic",
        )

    def calls(self, method: str, path_start: str) -> list[tuple[str, str, str]]:
        return [
            r for r in self.requests if r[0] == method and r[1].startswith(path_start)
        ]

    # The API.

    def _route(self, method: str, path: str, form: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")  # v1, resource, id, action
        if parts[:2] == ["v1", "payment_intents"] and len(parts) >= 3:
            intent = self.intents.get(parts[2])
            if intent is None:
                return _error(
                    404,
                    "invalid_request_error",
                    "resource_missing",
                    "No such payment_intent",
                )
            if method == "GET" and len(parts) == 3:
                return 200, intent
            if method == "POST" and parts[3:] == ["capture"]:
                return self._capture(intent, form)
            if method == "POST" and parts[3:] == ["cancel"]:
                return self._cancel(intent, form)
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._create(form)
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._refund(form)
        return _error(
            404, "invalid_request_error", "resource_missing", "Unrecognized request URL"
        )

    def _create(self, form: dict) -> tuple[int, dict]:
        """A new intent, waiting for the customer's payment method."""
        if not form.get("amount") or not form.get("currency"):
            return _error(
                400, "invalid_request_error", "parameter_missing", "Missing amount"
            )
        intent = self.intent(
            int(form["amount"]),
            form["currency"],
            status="requires_payment_method",
            capture_method=form.get("capture_method", "automatic"),
        )
        intent["client_secret"] = f"{intent['id']}_secret_fake"
        intent["metadata"] = {
            key[len("metadata[") : -1]: value
            for key, value in form.items()
            if key.startswith("metadata[")
        }
        return 200, intent

    def _capture(self, intent: dict, form: dict) -> tuple[int, dict]:
        if intent["status"] != "requires_capture":
            return _unexpected(intent)
        amount = int(form.get("amount_to_capture", intent["amount"]))
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        return 200, intent

    def _cancel(self, intent: dict, form: dict) -> tuple[int, dict]:
        if intent["status"] in ("succeeded", "canceled"):
            return _unexpected(intent)
        intent.update(
            status="canceled",
            amount_capturable=0,
            canceled_at=int(time.time()),
            cancellation_reason=form.get("cancellation_reason"),
        )
        return 200, intent

    def _refund(self, form: dict) -> tuple[int, dict]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return _error(
                400, "invalid_request_error", "charge_not_refundable", "Not refundable"
            )
        amount = int(form.get("amount", intent["amount_received"]))
        given = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == intent["id"]
        )
        if given + amount > intent["amount_received"]:
            return _error(
                400,
                "invalid_request_error",
                "amount_too_large",
                "Refund exceeds the charge",
            )
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "charge": intent["latest_charge"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "reason": None,
            "created": int(time.time()),
            "metadata": {},
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _answer(
        self, method: str, path: str, key: str, form: dict
    ) -> tuple[int, dict] | None:
        with self.lock:
            self.requests.append((method, path, key))
            if self.drop:
                self.drop -= 1
                return None
            if self.failures:
                return self.failures.pop(0)
            if key and key in self.replies:
                return self.replies[key]
            reply = self._route(method, path, form)
            if key:
                self.replies[key] = reply
            return reply

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                form = {k: v[-1] for k, v in parse_qs(body).items()}
                path = self.path.split("?")[0]
                reply = fake._answer(
                    method, path, self.headers.get("Idempotency-Key", ""), form
                )
                if reply is None:  # the network fails: no answer at all
                    self.close_connection = True
                    return
                status, payload = reply
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", _id("req"))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def log_message(self, *args):
                pass

        return Handler


def _error(status: int, kind: str, code: str, message: str, **more) -> tuple[int, dict]:
    return status, {"error": {"type": kind, "code": code, "message": message, **more}}


def _unexpected(intent: dict) -> tuple[int, dict]:
    return _error(
        400,
        "invalid_request_error",
        "payment_intent_unexpected_state",
        f"This PaymentIntent's status is {intent['status']}.",
        payment_intent=intent,
    )


def card_declined() -> tuple[int, dict]:
    return _error(
        402,
        "card_error",
        "card_declined",
        "Your card was declined.",
        decline_code="generic_decline",
    )


def signed(
    event: dict, secret: str, *, timestamp: int | None = None
) -> tuple[bytes, str]:
    """The body and ``Stripe-Signature`` header Stripe would send for ``event``."""
    payload = json.dumps(event).encode()
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256)
    return payload, f"t={ts},v1={mac.hexdigest()}"


def intent_event(kind: str, intent: dict) -> dict:
    return {
        "id": _id("evt"),
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": dict(intent)},
    }
