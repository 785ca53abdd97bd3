"""One list of the events the store sends (``EVENT_TYPES``): it is exactly what the
code passes to ``webhooks.emit``, what a receiver reads of in docs/webhooks.md, and
all a subscription may name."""

import ast
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from omnistore.core.models import EVENT_TYPES, WebhookEndpoint

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["omnistore", "inventory", "customers", "orders", "campaigns"]


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _argument(call: ast.Call, index: int, name: str):
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def sent_events() -> set[str]:
    """Every event name the code sends: a literal given to ``webhooks.emit``, or
    ``f"<family>.{param}"`` in a function whose callers each give a literal."""
    sent: set[str] = set()
    wrappers: dict[str, tuple[int, str, str]] = {}  # function -> (index, param, family)
    modules = list(_modules())
    for path, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(
                "webhooks"
            ):
                assert "emit" not in [a.name for a in node.names], path
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = [a.arg for a in node.args.args]
            for call in ast.walk(node):
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "emit"
                    and getattr(call.func.value, "id", None) == "webhooks"
                ):
                    continue
                name = call.args[0]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    sent.add(name.value)
                    continue
                where = f"{path}:{call.lineno}: name not read"
                assert isinstance(name, ast.JoinedStr), where
                family, param = name.values
                assert isinstance(family, ast.Constant), where
                assert getattr(param.value, "id", None) in params, where
                index = params.index(param.value.id)
                wrappers[node.name] = (index, param.value.id, family.value)
    for function, (index, param, family) in wrappers.items():
        callers = [
            call
            for _, tree in modules
            for call in ast.walk(tree)
            if isinstance(call, ast.Call) and _called(call) == function
        ]
        assert callers, function
        for call in callers:
            event = _argument(call, index, param)
            assert isinstance(event, ast.Constant), f"{function}: line {call.lineno}"
            sent.add(family + event.value)
    return sent


def test_the_list_is_every_event_the_code_sends():
    sent = sent_events()
    assert "order.status_changed" in sent and "customer.erased" in sent
    assert sorted(sent) == sorted(EVENT_TYPES)
    assert len(set(EVENT_TYPES)) == len(EVENT_TYPES)


def test_the_receivers_page_names_every_event():
    page = (ROOT / "docs" / "webhooks.md").read_text()
    table = page[page.index("## Events") :]
    named = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", table.split("\n\n")[1]))
    assert named == set(EVENT_TYPES)


def endpoint(event_types) -> WebhookEndpoint:
    return WebhookEndpoint(
        name="erp", url="https://93.184.216.34/h", secret="s", event_types=event_types
    )


@pytest.mark.parametrize(
    "event_types",
    [[], list(EVENT_TYPES), ["order.*", "return.*", "stock.*", "customer.*"]],
)
def test_events_the_store_sends_and_their_families_are_accepted(event_types):
    endpoint(event_types).full_clean()


@pytest.mark.parametrize(
    "event_types",
    [
        ["order.shipped"],
        ["orders.placed"],
        ["stock.changed", "refund.created"],
        ["refund.*"],
        ["order.placed.*"],
        ["ord*"],
        ["*"],
    ],
)
def test_a_name_the_store_never_sends_is_refused_naming_the_events(event_types):
    with pytest.raises(ValidationError) as refused:
        endpoint(event_types).full_clean()
    [message] = refused.value.message_dict["event_types"]
    assert repr(event_types[-1]) in message
    assert ", ".join(EVENT_TYPES) in message
