"""Segments: the rule language (``campaigns.rules``) compiled to one SQL query over
customers."""

# Re-exports until every caller imports from its defining module.
from campaigns.segments.compiler import compile_rules

__all__ = ["compile_rules"]
