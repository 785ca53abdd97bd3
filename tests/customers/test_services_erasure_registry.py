"""Export and erasure stay complete as models are added: every model with a
foreign-key path to ``Customer`` is covered by the personal data registry (or declared
to hold nothing personal), and every text column of a covered model is either erased
or declared kept."""

from django.apps import apps
from django.db import models

from customers.models import Customer
from customers.privacy import models_without_personal_data, registered

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def shipped_models() -> list[type[models.Model]]:
    """Every model of the project; probes that tests declare in their own modules
    (to prove a merge carries models it does not know) are not shipped."""
    return [
        m
        for m in apps.get_models()
        if m.__module__.startswith(m._meta.app_config.module.__name__ + ".")
    ]


def models_reaching_customer() -> set[type[models.Model]]:
    """``Customer`` and every model with a chain of foreign keys (or one-to-one keys)
    to it: orders directly, order lines through the order, return lines through the
    return, wishlist items through the wishlist, refunds through the payment."""
    reached = {Customer}
    grew = True
    while grew:
        grew = False
        for model in shipped_models():
            if model in reached:
                continue
            if any(
                (f.many_to_one or f.one_to_one) and f.related_model in reached
                for f in model._meta.concrete_fields
            ):
                reached.add(model)
                grew = True
    return reached


def covered() -> dict[type[models.Model], object]:
    texts = {}
    for entry in registered():
        for model, declared in entry.models.items():
            assert model not in texts, f"{model._meta.label} registered twice"
            texts[model] = declared
    return texts


def test_every_model_reaching_a_customer_is_covered_or_declared_without_data():
    reached = models_reaching_customer()
    assert len(reached) > 20  # the walk itself finds orders, returns, messages, ...
    unaccounted = sorted(
        m._meta.label
        for m in reached
        if m not in covered() and m not in models_without_personal_data()
    )
    assert unaccounted == [], (
        "These models point at a customer but neither export nor erasure knows them: "
        "add them to their app's entry in customers.privacy (or call "
        "holds_no_personal_data)."
    )


def test_every_text_column_of_a_covered_model_is_erased_or_declared_kept():
    undeclared = []
    for model, declared in covered().items():
        columns = {
            f.name for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)
        }
        named = set(declared.erased) | set(declared.kept)
        undeclared += [f"{model._meta.label}.{c}" for c in sorted(columns - named)]
        assert not named - columns, f"{model._meta.label}: {named - columns}"
    assert undeclared == []


def test_every_app_holding_rows_about_customers_is_registered():
    assert [entry.name for entry in registered()] == [
        "customers",
        "browsing",
        "orders",
        "campaigns",
    ]
