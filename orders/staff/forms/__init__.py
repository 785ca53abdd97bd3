"""Forms of the staff order screens, one module per screen like the views."""
