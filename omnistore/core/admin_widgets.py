"""Admin widgets that take hostile input in their stride."""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteSelect

from .db import is_key_value


class CheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete select for a foreign key. A form refused with a posted
    value that is not a key of the related model is shown again with no choice made
    (the form's error names the field) instead of failing in the query that looks
    the value up for its label."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)
        kept = [v for v in value if is_key_value(target, v)]
        return super().optgroups(name, kept, attr)
