"""Sessions stored in the database that keep every request's own changes.

Django saves a session whole at the end of a request, so of two requests of one
browser that overlap (a tablet scanning an item while the customer form is sent)
the one ending last writes back what it read and the other's change is lost. This
store remembers which keys the request set or removed and, when saving, applies
only those to the row as it is now, read under a row lock: each request's changes
survive, key by key. A cleared or new session is written whole, as Django does.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.db import router, transaction
from django.utils import timezone

_MISSING = object()


class SessionStore(DbSessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._set: dict = {}
        self._removed: set = set()
        self._replaced = False  # cleared: written whole, nothing merged

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._set[key] = value
        self._removed.discard(key)

    def __delitem__(self, key):
        super().__delitem__(key)
        self._forget(key)

    def pop(self, key, default=_MISSING):
        if key in self._session:
            self._forget(key)
        if default is _MISSING:
            return super().pop(key)
        return super().pop(key, default)

    def update(self, dict_):
        for key, value in dict(dict_).items():
            self[key] = value

    def clear(self):
        super().clear()
        self._replaced = True
        self._set.clear()
        self._removed.clear()

    def _forget(self, key) -> None:
        self._set.pop(key, None)
        self._removed.add(key)

    def save(self, must_create=False):
        if must_create or self.session_key is None or self._replaced:
            return super().save(must_create=must_create)
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            row = (
                self.model.objects.using(using)
                .select_for_update()
                .filter(session_key=self.session_key, expire_date__gt=timezone.now())
                .first()
            )
            if row is None:  # ended meanwhile (signed out, expired): not brought back
                raise UpdateError
            stored = self.decode(row.session_data)
            for key in self._removed:
                stored.pop(key, None)
            stored.update(self._set)
            self._session_cache = stored
            self.create_model_instance(stored).save(force_update=True, using=using)
