"""Domain events of the customers app; higher apps subscribe without being imported.

Both merge signals are sent inside the merge transaction, both customer rows locked:
- ``customer_merging(survivor, other, summary)`` before anything moves, so an app whose
  rows allow one per customer (a cart) can fold the loser's row into the survivor's;
- ``customer_merged(survivor, other, merge)`` after everything moved.
Receivers may add counts to ``summary`` (a dict) to have them recorded on the merge.

Erasure and the data export reach other apps' rows through ``customers.privacy``.
"""

from django.dispatch import Signal

customer_merging = Signal()
customer_merged = Signal()
