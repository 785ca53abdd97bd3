"""Real threads, real connections: several logins proving one profile at once."""

import pytest

from customers.models import Customer
from customers.selectors.identities import resolve_customer
from customers.services.logins import profile_for_login
from customers.services.verification import claim_with_receipt, receipt_claim_code
from omnistore.core.exceptions import Conflict
from tests.concurrency import run_parallel
from tests.customers.factories import CustomerUserFactory
from tests.customers.test_services_verification import shop_profile_with_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_logins_claiming_one_receipt_at_once_get_the_profile_once():
    in_store = shop_profile_with_order("OS-7")
    users = [CustomerUserFactory() for _ in range(6)]
    own = {user.pk: profile_for_login(user=user).pk for user in users}

    def claim(user):
        return lambda: claim_with_receipt(
            user=user, order_number="OS-7", claim_code=receipt_claim_code("OS-7")
        )

    results = run_parallel([claim(user) for user in users])

    won = [r for r in results if isinstance(r, Customer)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and won[0].pk == in_store.pk, results
    assert {r.code for r in refused} == {"profile_has_login"}
    assert len(refused) == len(users) - 1
    in_store.refresh_from_db()
    winner = in_store.user_id
    for user in users:  # every other login keeps its own profile, unmerged
        if user.pk != winner:
            assert resolve_customer(own[user.pk]).pk == own[user.pk]
            assert Customer.objects.get(pk=own[user.pk]).user_id == user.pk
