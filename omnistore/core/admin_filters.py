"""Admin list filters over codes stored without choices (a timeline's event kind, a
channel), each value offered by its label rather than as stored."""

from __future__ import annotations

from functools import partial

from django.contrib import admin

from .channels import Channel
from .labels import humanized, label_of


class LabelledValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter of the values found in a column, each shown by ``label``;
    the address keeps the stored value."""

    label = staticmethod(humanized)

    def choices(self, changelist):
        # The values are read once: Django's choices iterate the same queryset.
        values = [str(value) for value in self.lookup_choices if value is not None]
        offered = super().choices(changelist)
        yield next(offered)  # "All"
        for value, choice in zip(values, offered, strict=False):
            choice["display"] = self.label(value) + choice["display"][len(value) :]
            yield choice
        yield from offered  # the empty value, when some rows have none


def labelled_by(label) -> type[LabelledValuesFilter]:
    return type("Labelled", (LabelledValuesFilter,), {"label": staticmethod(label)})


EventKindFilter = labelled_by(humanized)
ChannelFilter = labelled_by(partial(label_of, Channel))
