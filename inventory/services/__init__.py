"""Every change of stock goes through these modules, with its ledger row in the same
transaction: ``stock`` (receipts, adjustments, counts), ``reservations`` (holds, releases,
sales), ``transfers`` (between locations), over the ``ledger`` they all write."""
