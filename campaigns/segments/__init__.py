"""Segments: the rule language (``campaigns.rules``) compiled to one SQL query over
customers."""
