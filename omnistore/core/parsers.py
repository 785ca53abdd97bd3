"""Request body parsers. Kept apart from the views: DRF imports the classes its
settings name while its views module loads.

DRF's parsers, refusing as a 400 what no column can hold (a NUL, which PostgreSQL
refuses; a lone surrogate, which is not UTF-8) in any string of a body, and JSON nested
deeper than ``MAX_JSON_DEPTH``: the database or the stack would fail on them later, as
a server error. What they let through has the bidirectional controls dropped from
its every string (``omnistore.core.text``): they would show a name turned around.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .text import data_without_bidi_controls

NUL_MESSAGE = "Null characters are not allowed."
# JSON bodies are a few levels deep (a cart's lines, an address, segment rules): a
# deeper one is refused before anything reads it.
MAX_JSON_DEPTH = 32


def _unstorable(text: str) -> bool:
    """Text no column can hold: a NUL (PostgreSQL refuses it) or a lone surrogate
    (not UTF-8 at all; JSON can spell one as ``\\ud800``)."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _body_errors(data, max_depth: int | None = None) -> dict | str | None:
    """The first reason to refuse a parsed body: a string (a key or a value, at any
    depth) that no column can hold, named by its top-level field, or nesting deeper
    than ``max_depth``. Iterative, so a deep body cannot exhaust the stack."""
    if hasattr(data, "lists"):  # a form: every value of every key
        data = dict(data.lists())
    stack = [(data, 0, None)]
    while stack:
        value, depth, field = stack.pop()
        if max_depth is not None and depth > max_depth:
            return f"Nested more than {max_depth} deep."
        if isinstance(value, str):
            if _unstorable(value):
                message = NUL_MESSAGE if "\x00" in value else "Invalid text."
                return {field or "non_field_errors": [message]}
        elif isinstance(value, dict):
            for key, item in value.items():
                name = field
                if name is None and isinstance(key, str) and not _unstorable(key):
                    name = key
                stack.append((key, depth + 1, name))
                stack.append((item, depth + 1, name))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
    return None


def body_problem(data, max_depth: int | None = None) -> str | None:
    """``_body_errors`` in words, for a form field: what is wrong, or None."""
    error = _body_errors(data, max_depth)
    if error is None or isinstance(error, str):
        return error
    return " ".join(message for messages in error.values() for message in messages)


def _checked(data, max_depth: int | None = None):
    """``data`` refused (``_body_errors``), or taken without bidirectional
    controls."""
    error = _body_errors(data, max_depth)
    if error is not None:
        raise ParseError(error)
    return data_without_bidi_controls(data)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that refuses, as a 400, bodies nested deeper than
    ``MAX_JSON_DEPTH`` and strings no column can hold (NUL, lone surrogates): the
    database would fail on them later, as a server error. Bidirectional controls
    are dropped from every key and string."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"Nested more than {MAX_JSON_DEPTH} deep.") from None
        return _checked(data, MAX_JSON_DEPTH)


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing NUL and lone surrogates, and dropping
    bidirectional controls, as ``JSONParser`` does."""

    def parse(self, stream, media_type=None, parser_context=None):
        return _checked(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing NUL and lone surrogates in its fields as
    ``JSONParser`` does, and dropping bidirectional controls from them."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(_checked(parsed.data), parsed.files)
