"""The audit trail of changes people make in the admin (django-simple-history).

A model registered with ``AdminHistory`` keeps a version of each save made while a
request is served (the admin's forms and actions, by the request's user) and shows
them on the object's history page. Saves outside a request (Celery tasks, campaign runs,
the demo seed) are not versioned: those moves have their own records (ledger rows,
status histories, timeline events), and versioning them would cost a statement each.

A row seeded, imported or written outside a request has no version yet: the first
time it is changed in the admin, the row as it was is kept first (a version of no one,
its reason ``BASELINE_REASON``), so that change reads "from ... to ..." like any other.
This costs one read per save in the admin only; other requests (the API, the staff
pages) are not slowed.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, signals
from simple_history.models import HistoricalRecords

BASELINE_REASON = "As it was before its first change in the admin"


def _request():
    return getattr(HistoricalRecords.context, "request", None)


def _in_request() -> bool:
    return _request() is not None


def _in_admin_request() -> bool:
    match = getattr(_request(), "resolver_match", None)
    return match is not None and match.app_name == "admin"


class AdminHistory(HistoricalRecords):
    def finalize(self, sender, **kwargs):
        registered = hasattr(sender._meta, "simple_history_manager_attribute")
        super().finalize(sender, **kwargs)
        if not registered and hasattr(sender._meta, "simple_history_manager_attribute"):
            signals.pre_save.connect(self.pre_save, sender=sender, weak=False)

    def pre_save(self, instance, raw=False, using=None, **kwargs):
        """Before the first admin change of a row without versions, keep the row as
        it is in the database: the existence of a version and the row are read in
        one query, and the baseline is written only when none exists."""
        if raw or instance._state.adding or instance.pk is None:
            return
        if hasattr(instance, "skip_history_when_saving") or not _in_admin_request():
            return
        model = type(instance)
        versions = getattr(model, self.manager_name).model._default_manager
        pk_name = model._meta.pk.attname
        found = list(
            model._base_manager.using(using)
            .filter(pk=instance.pk)
            .annotate(
                audit_versioned=Exists(versions.filter(**{pk_name: OuterRef("pk")}))
            )[:1]
        )
        if not found or found[0].audit_versioned:
            return
        before = found[0]
        before._history_user = None
        before._change_reason = BASELINE_REASON
        self.create_historical_record(before, "~", using=using)

    def post_save(self, instance, created, using=None, **kwargs):
        """A save of fields the history leaves out only (a count moving on-hand
        units: the ledger keeps those) is no version."""
        if not _in_request():
            return
        saved = kwargs.get("update_fields")
        if saved and set(saved) <= set(self.excluded_fields or ()):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def post_delete(self, instance, using=None, **kwargs):
        if _in_request():
            super().post_delete(instance, using=using, **kwargs)
