"""Payment providers: the interface checkout, fulfilment and refunds talk to
(``base``), the test provider (``testing``), the Stripe adapter (``stripe``) and the
choice of provider from settings (``registry``)."""
