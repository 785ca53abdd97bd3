"""The audit trail of changes people make in the admin (django-simple-history).

A model registered with ``AdminHistory`` keeps a version of each save made while a
request is served (the admin's forms and actions, by the request's user) and shows
them on the object's history page. Saves outside a request (Celery tasks, campaign runs,
the demo seed) are not versioned: those moves have their own records (ledger rows,
status histories, timeline events), and versioning them would cost a statement each.
"""

from __future__ import annotations

from simple_history.models import HistoricalRecords


def _in_request() -> bool:
    return getattr(HistoricalRecords.context, "request", None) is not None


class AdminHistory(HistoricalRecords):
    def post_save(self, instance, created, using=None, **kwargs):
        if _in_request():
            super().post_save(instance, created, using=using, **kwargs)

    def post_delete(self, instance, using=None, **kwargs):
        if _in_request():
            super().post_delete(instance, using=using, **kwargs)
