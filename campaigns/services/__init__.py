"""Writes of the campaigns app, one module per state machine.

Rules kept here:
- a message is one row per (campaign, customer, channel, trigger); rows are inserted
  with ``ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``), so running
  a send or an automation again inserts nothing new and sends nothing twice;
- a send has two phases: *queue* walks the audience by primary-key ranges and inserts
  the missing rows; *deliver* takes queued rows in pk order, a batch at a time, locked
  with ``FOR UPDATE SKIP LOCKED`` (two workers never take the same row), checks consent
  again in SQL, sends through the channel's backend and marks the rows sent in the same
  transaction. A run that dies leaves its batch queued; the next run sends only what is
  still queued (the batch in flight at a crash may reach a provider twice, never more);
- a campaign being sent holds a lease (``lease_until``) renewed every batch, so a
  duplicate task exits at once and a crashed run is resumed once the lease expires;
- memory stays bounded: only ids and one batch of rows are ever held;
- back in stock is found from watched stock changes (see ``detect_restocks``) at the
  start of every automation run; each restock is messaged once per customer, whatever
  number of lists the variant is on;
- a price drop is measured in the customer's market: the catalogue's price against
  the item's price when added, or a price list's against its price then, read back
  from the list's kept changes (``record_price_changes``).
"""
