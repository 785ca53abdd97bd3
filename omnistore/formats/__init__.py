"""Formats the project sets over Django's for its language (``FORMAT_MODULE_PATH``)."""
