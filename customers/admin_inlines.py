"""Read-only histories shown under a customer or a client task in the admin: each row
names who and where, read with its rows (one query however long the history), and a
customer's notes, which only grow over the years, are shown latest first up to
``NOTES_SHOWN``; the timeline has every one."""

from django.forms.models import BaseInlineFormSet

from omnistore.accounts.scoping import ReadOnlyInline

from .models import StaffNote

NOTES_SHOWN = 50


class JoinedInline(ReadOnlyInline):
    """A read-only inline whose related columns (``select_related``) are read in the
    same query as its rows."""

    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.select_related)


class LatestNotesFormSet(BaseInlineFormSet):
    """The latest ``NOTES_SHOWN`` notes; ``total`` counts them all (a second query
    only when some are left out)."""

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            everything = super().get_queryset()
            self._latest = list(everything[:NOTES_SHOWN])
            self.total = len(self._latest)
            if self.total == NOTES_SHOWN:
                self.total = everything.count()
        return self._latest

    @property
    def left_out(self) -> int:
        self.get_queryset()
        return self.total - len(self._latest)


class NoteInline(JoinedInline):
    model = StaffNote
    fields = ["created_at", "text", "author", "location"]
    select_related = ("author", "location")
    ordering = ("-created_at", "-id")
    formset = LatestNotesFormSet
    template = "admin/customers/customer/latest_notes.html"
