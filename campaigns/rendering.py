"""Message templates: Django template syntax over a small, plain-data context.

Templates are written by managers, so they run in an engine of their own: no loaders,
no tag libraries, only the flow tags listed in ``ALLOWED_TAGS``, and a context made of
strings, numbers, lists and dicts (never model instances), so a template cannot reach
beyond what it is given. It cannot ask for unbounded work either: loops and blocks nest
two deep and go over the data, widths are numbers up to 200, and the source and the
sample message have a size limit (see ``MAX_SOURCE`` and what follows it).

Context of every message::

    first_name, store {name, city, address, opening_hours} or None,
    featured [{name, sku, price, amount, currency, in_store, image_url}],
    recommendations [{name, category, price, amount, currency}],
    discount_code, shop_url, unsubscribe_url,
    cart {lines [{name, quantity, only_left, image_url}],    (abandoned cart)
          low_stock}
    order {number, total, currency}                          (post-purchase, win-back)
    wishlist_item {name, sku, price, amount, currency,       (back in stock,
                   online, in_store, was_price,               price drop)
                   saving_percent, image_url}
    viewed_item {name, price, amount, currency, in_store}    (viewed, not bought)

An item's ``price`` is its price in the customer's market (their preferred shop's)
with its currency ("59.90 EUR"; ``amount`` and ``currency`` apart); a featured item
the market does not sell is left out of that customer's list. A price drop's
``was_price`` and ``saving_percent`` are in the customer's market and its currency,
the prices the drop is measured in. ``image_url`` is the
absolute link to the item's picture (empty without one). The HTML part of an email
shows the pictures of the items the template speaks of (the wished item, the cart's
lines, the featured items) under its text.

Every message is made from a copy of its data of its own, read-only (dicts become
read-only mappings, lists tuples): a template reads fields and cannot change anything,
neither the data of the next recipient nor the sample, and a path naming a method that
changes data (``.pop``, ``.clear``, ``.update``, …) is refused on save.

Links written in the template (and ``{{ shop_url }}``, the storefront's address) are
rewritten to signed click-tracking links; email gets an HTML part with the open pixel
and an unsubscribe line unless the message as made already carries the recipient's
unsubscribe link. An SMS is measured with its links as sent (tracked links are long):
on save against the sample, and again for every message, which fails on its own
(``MessageNotRendered``) when it is over ``SMS_MAX_LENGTH`` or when the template fails
on that recipient's data. Which links are tracked is decided
when the template is compiled, before any customer value is substituted: a URL a
customer typed into their profile stays plain text and is never signed, so no one can
turn our domain into a redirect to their site.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from types import MappingProxyType

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError, VariableDoesNotExist
from django.template.base import Lexer, TokenType, tag_re

from campaigns.channels import MessageChannel

from . import tracking

ALLOWED_TAGS = frozenset(
    {
        "if",
        "elif",
        "else",
        "endif",
        "for",
        "empty",
        "endfor",
        "with",
        "endwith",
        "firstof",
        "cycle",
        "comment",
        "endcomment",
        "spaceless",
        "endspaceless",
        "filter",
        "endfilter",
    }
)
SUBJECT_REQUIRED = frozenset({MessageChannel.EMAIL, MessageChannel.PUSH})
SMS_MAX_LENGTH = 612  # four concatenated SMS parts
URL_RE = re.compile(r"https?://[^\s<>\"'\]\)]+")

SAMPLE_CONTEXT = {
    "first_name": "Giulia",
    "store": {
        "name": "Milano Centro",
        "city": "Milano",
        "address": "Via Roma 1",
        "opening_hours": "9-19",
    },
    "featured": [
        {
            "name": "Linen shirt",
            "sku": "SKU-1",
            "price": "49.90 EUR",
            "amount": "49.90",
            "currency": "EUR",
            "in_store": 2,
            "image_url": "https://shop.example.com/media/sample.png",
        }
    ],
    "recommendations": [
        {
            "name": "Linen trousers",
            "category": "Trousers",
            "price": "59.90 EUR",
            "amount": "59.90",
            "currency": "EUR",
        }
    ],
    "discount_code": "SPRING10",
    "shop_url": "https://shop.example.com/",
    "unsubscribe_url": "https://shop.example.com/t/u/sample/",
    "cart": {
        "lines": [
            {
                "name": "Linen shirt",
                "quantity": 1,
                "only_left": 2,
                "image_url": "https://shop.example.com/media/sample.png",
            }
        ],
        "low_stock": True,
    },
    "order": {"number": "OS-AAAAA-BBBBB", "total": "49.90", "currency": "EUR"},
    "wishlist_item": {
        "name": "Linen shirt (Blue / M)",
        "sku": "SKU-1",
        "price": "39.90 EUR",
        "amount": "39.90",
        "currency": "EUR",
        "online": 12,
        "in_store": 2,
        "was_price": "49.90 EUR",
        "saving_percent": 20,
        "image_url": "https://shop.example.com/media/sample.png",
    },
    "viewed_item": {
        "name": "Linen shirt",
        "price": "49.90 EUR",
        "amount": "49.90",
        "currency": "EUR",
        "in_store": 3,
    },
}


class MessageNotRendered(Exception):
    """One recipient's message cannot be made: the template fails on their data, or
    their SMS is over ``SMS_MAX_LENGTH`` with its links as sent. The message fails on
    its own, with this as its reason; the others go."""


def _plain(value):
    """A copy of message data of its own, read-only at every level: a template reads
    fields, and a method it names is called on a copy that cannot change (a tuple has
    no ``pop``, a read-only mapping no ``clear``)."""
    if isinstance(value, dict | MappingProxyType):
        return MappingProxyType({key: _plain(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(_plain(item) for item in value)
    return value


def _data(context: dict, **extra) -> dict:
    """The context a template renders with: ``context`` as read-only copies, each
    message (and the sample) its own."""
    return {**{key: _plain(value) for key, value in context.items()}, **extra}


def _failure(error: Exception) -> str:
    if isinstance(error, VariableDoesNotExist) and error.params:
        return f"no value for {error.params[0]!s:.50}"
    return f"{type(error).__name__}: {error!s:.300}"


def _render(template, data: dict) -> str:
    """``template`` made with ``data``; whatever a tag or filter raises on that data
    (a filter given None, a bad argument, a loop over something that is no list) is
    ``MessageNotRendered``, the same family the sample is checked for on save."""
    try:
        return template.render(Context(data, autoescape=False))
    except Exception as error:  # a tag or filter failing on this data
        raise MessageNotRendered(
            f"Template error when a message is made: {_failure(error)}"
        ) from error


def _too_long(length: int) -> str:
    return (
        f"An SMS is at most {SMS_MAX_LENGTH} characters; with its links as sent "
        f"this one has {length:,}."
    )


@lru_cache(maxsize=1)
def _engine() -> Engine:
    return Engine(
        dirs=[],
        app_dirs=False,
        loaders=[],
        libraries={},
        builtins=[],
        autoescape=False,
        string_if_invalid="",
        debug=False,
    )


# What a template may ask of the engine, so that checking it and making every
# message stays quick and small: the engine has no limit of its own on loops or on
# the text a filter makes.
MAX_SOURCE = 20_000
MAX_NESTING = 2  # loops and ``with`` blocks inside one another
MAX_FILTERS = 8  # filters in one expression
MAX_WIDTH = 200  # a padding or format width (center, ljust, rjust, …)
MAX_SAMPLE = 100_000  # characters of the sample message
WIDTH_FILTERS = ("center", "ljust", "rjust", "stringformat", "floatformat", "wordwrap")
NESTING_TAGS = {"for": "endfor", "with": "endwith", "filter": "endfilter"}
WIDTH_RE = re.compile(
    r"\|\s*(" + "|".join(WIDTH_FILTERS) + r")\s*:\s*(\"[^\"]*\"|'[^']*'|[^\s|]+)"
)
FILTER_RE = re.compile(r"\|(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)")
QUOTED_RE = re.compile(r"\"[^\"]*\"|'[^']*'")
# Methods that change a dict or a list: named in a variable's path (``{{ x.pop }}``)
# the engine would call them. The data is read-only anyway; saying so on save is
# clearer than a message that silently shows nothing there.
CHANGING = (
    "pop",
    "popitem",
    "clear",
    "update",
    "setdefault",
    "append",
    "extend",
    "insert",
    "remove",
    "sort",
    "reverse",
)
CHANGING_RE = re.compile(r"\.(" + "|".join(CHANGING) + r")\b")


def _expression_errors(contents: str) -> list[str]:
    errors = [
        f"A message reads its data and never changes it: .{name} is not allowed."
        for name in CHANGING_RE.findall(QUOTED_RE.sub("", contents))
    ]
    if len(FILTER_RE.findall(contents)) > MAX_FILTERS:
        errors.append(f"At most {MAX_FILTERS} filters in one expression.")
    for name, argument in WIDTH_RE.findall(contents):
        digits = re.sub(r"[^0-9]", " ", argument).split()
        literal = argument[:1] in "\"'" or argument.lstrip("-").isdigit()
        if not literal or any(int(d) > MAX_WIDTH for d in digits):
            errors.append(
                f"The filter {name} takes a number written in the template, "
                f"at most {MAX_WIDTH}."
            )
    return errors


def _tag_errors(source: str) -> list[str]:
    if len(source) > MAX_SOURCE:
        return [f"A message template is at most {MAX_SOURCE:,} characters."]
    errors, open_blocks = [], []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.VAR:
            errors += _expression_errors(token.contents)
        if token.token_type != TokenType.BLOCK:
            continue
        parts = token.split_contents()
        name = parts[0] if parts else ""
        if name not in ALLOWED_TAGS:
            errors.append(
                f"The tag {{% {name} %}} is not allowed in messages; use "
                f"{', '.join(sorted(t for t in ALLOWED_TAGS if not t.startswith('end')))}."
            )
            continue
        contents = token.contents
        if name == "filter":  # its filters are written without the leading bar
            contents = "|" + contents[len(name) :].strip()
        errors += _expression_errors(contents)
        if name in NESTING_TAGS:
            open_blocks.append(name)
            if len(open_blocks) > MAX_NESTING:
                errors.append(
                    f"Loops, with and filter blocks nest at most {MAX_NESTING} deep."
                )
        elif name in NESTING_TAGS.values() and open_blocks:
            open_blocks.pop()
        if name == "for" and parts[-1][:1] in "\"'":
            errors.append("A loop goes over the message's data, not over a text.")
    return list(dict.fromkeys(errors))


def _sample_render(source: str) -> tuple[str, list[str]]:
    """``source`` made into the sample message by the engine sends use, or why it
    cannot be: a tag that is not allowed, a template that does not compile, or one
    that fails on the message's data (a filter given a bad argument, a loop over
    something that is no list), which would fail every send the same way."""
    problems = _tag_errors(source)
    if problems:
        return "", problems
    try:
        template = _engine().from_string(source)
    except TemplateSyntaxError as error:
        return "", [f"Template error: {error}"]
    try:
        text = _render(template, _data(SAMPLE_CONTEXT))
    except MessageNotRendered as error:  # whatever a tag or filter raises, a send too
        return "", [str(error)]
    if len(text) > MAX_SAMPLE:
        return "", [f"The sample message is over {MAX_SAMPLE:,} characters."]
    return text, []


def template_errors(*, channel: str, subject: str, body: str) -> dict[str, list[str]]:
    """Field errors of a message template (empty when it renders)."""
    errors: dict[str, list[str]] = {}
    if channel not in MessageChannel.values:
        errors["channel"] = [f"Use one of: {', '.join(MessageChannel.values)}."]
    if channel in SUBJECT_REQUIRED and not (subject or "").strip():
        errors["subject"] = ["Email and push messages need a subject (push title)."]
    if not (body or "").strip():
        errors["body"] = ["Write the message."]
    for name, source in (("subject", subject or ""), ("body", body or "")):
        _sample, problems = _sample_render(source)
        if problems:
            errors.setdefault(name, []).extend(problems)
    if channel == MessageChannel.SMS and "body" not in errors:
        problem = _sms_problem(body)
        if problem:
            errors["body"] = [problem]
    return errors


SAMPLE_MESSAGE_ID = 999_999_999  # longer than real ids: their links are no longer


def _sms_problem(body: str) -> str:
    """Why the sample SMS made as a send makes it, tracked links and all, is refused
    (over ``SMS_MAX_LENGTH``); empty when it fits."""
    template = compile_template(channel=MessageChannel.SMS, subject="", body=body)
    try:
        render_message(template, SAMPLE_CONTEXT, message_id=SAMPLE_MESSAGE_ID)
    except MessageNotRendered as error:
        return str(error)
    return ""


UNSUBSCRIBE_KEY = "u"


@dataclass(frozen=True)
class CompiledTemplate:
    """``body`` renders with a marker in place of each link of the template
    (``links[n]``, or the unsubscribe link): markers carry a random key of this
    compilation, so text from customer data cannot forge one."""

    channel: str
    subject: object
    body: object
    mentions: frozenset[str]
    links: tuple[str, ...] = ()
    marker: str = ""

    def uses(self, name: str) -> bool:
        """Whether the template reads ``name`` (costly context is built only then)."""
        return name in self.mentions


def compile_template(*, channel: str, subject: str, body: str) -> CompiledTemplate:
    engine = _engine()
    source = f"{subject}\n{body}"
    mentions = frozenset(
        name
        for name in (
            "featured",
            "recommendations",
            "store",
            "cart",
            "order",
            "wishlist_item",
            "viewed_item",
        )
        if name in source
    )
    marker = secrets.token_hex(8)
    marked, links = _mark_links(body, marker)
    return CompiledTemplate(
        channel=channel,
        subject=engine.from_string(subject or ""),
        body=engine.from_string(marked),
        mentions=mentions
        | ({"unsubscribe_url"} if "unsubscribe_url" in body else set()),
        links=links,
        marker=marker,
    )


def _mark(marker: str, key: str) -> str:
    return f"\ue000{marker}:{key}\ue001"


def _mark_links(source: str, marker: str) -> tuple[str, tuple[str, ...]]:
    """The template source with each link written in its text replaced by a marker.

    ``{{ shop_url }}`` becomes the storefront's address (``OMNISTORE_STOREFRONT_URL``,
    the same for every message), so ``{{ shop_url }}/cart/`` is one link; ``{{ unsubscribe_url }}`` becomes the
    unsubscribe marker. A link that runs into a tag (``.../?ref={{ first_name }}``)
    would be completed by data, so it is left as written and not tracked."""
    site = settings.OMNISTORE_STOREFRONT_URL.rstrip("/")
    pieces = []
    for n, piece in enumerate(tag_re.split(source)):
        name = piece[2:-2].strip() if n % 2 and piece.startswith("{{") else None
        if name == "shop_url":
            piece = site
        elif name == "unsubscribe_url":
            piece = _mark(marker, UNSUBSCRIBE_KEY)
        pieces.append(piece)
    pieces = tag_re.split("".join(pieces))
    links: list[str] = []
    for n in range(0, len(pieces), 2):
        text, out, position = pieces[n], [], 0
        for match in URL_RE.finditer(text):
            url = match.group(0).rstrip(".,;:!?")
            end = match.start() + len(url)
            if end == len(text) and n + 1 < len(pieces):
                continue
            out += [text[position : match.start()], _mark(marker, str(len(links)))]
            links.append(url)
            position = end
        pieces[n] = "".join(out) + text[position:]
    return "".join(pieces), tuple(links)


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str = ""
    unsubscribe_url: str = ""


def _track_links(
    template: CompiledTemplate, body: str, *, message_id: int, unsubscribe: str
) -> tuple[str, list[tuple]]:
    """The text with every template link replaced by its click-tracking link, and the
    pieces (plain text or link) the HTML part is built from. A link already pointing
    at our tracking views, or to a host clicks may not be sent to, stays as written."""
    skip = tracking.tracking_prefix()
    marker = re.compile(
        re.escape(_mark(template.marker, "KEY")).replace("KEY", r"(\w+)")
    )
    pieces: list[tuple] = []
    out: list[str] = []
    position = 0
    for match in marker.finditer(body):
        before = body[position : match.start()]
        out.append(before)
        pieces.append(("text", before))
        key = match.group(1)
        if key == UNSUBSCRIBE_KEY:
            url = tracked = unsubscribe
        else:
            url = template.links[int(key)]
            tracked = url
            if not url.startswith(skip) and tracking.is_allowed_target(url):
                tracked = tracking.click_url(message_id, url)
        out.append(tracked)
        pieces.append(("link", tracked, url))
        position = match.end()
    rest = body[position:]
    out.append(rest)
    pieces.append(("text", rest))
    return "".join(out), pieces


MAX_PICTURES = 4


def _pictures(template: CompiledTemplate, context: dict) -> list[tuple[str, str]]:
    """(link, name) of the pictures of the items the template speaks of."""
    items = []
    if template.uses("wishlist_item") and context.get("wishlist_item"):
        items.append(context["wishlist_item"])
    if template.uses("cart") and context.get("cart"):
        items += context["cart"].get("lines") or []
    if template.uses("featured"):
        items += context.get("featured") or []
    found = [(i.get("image_url"), i.get("name", "")) for i in items]
    return [(url, name) for url, name in found if url][:MAX_PICTURES]


def _pictures_html(pictures: list[tuple[str, str]]) -> str:
    if not pictures:
        return ""
    images = "".join(
        f'<img src="{escape(url)}" alt="{escape(name)}" width="160" height="160" '
        'style="margin:0 8px 8px 0;border-radius:6px;object-fit:cover">'
        for url, name in pictures
    )
    return f"<p>{images}</p>"


def _html(pieces: list[tuple], pixel: str, pictures=()) -> str:
    parts = []
    for piece in pieces:
        if piece[0] == "text":
            parts.append(escape(piece[1]))
        else:
            parts.append(f'<a href="{escape(piece[1])}">{escape(piece[2])}</a>')
    body = "".join(parts).strip()
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n{2,}", body) if p]
    content = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"{content}{_pictures_html(list(pictures))}"
        f'<img src="{escape(pixel)}" width="1" height="1" alt=""></body></html>'
    )


def render_message(
    template: CompiledTemplate, context: dict, *, message_id: int
) -> RenderedMessage:
    """The message of ``message_id`` made from ``context`` (read-only copies of it).

    Raises ``MessageNotRendered`` when the template fails on this data or an SMS is
    over ``SMS_MAX_LENGTH`` once its links are the tracked ones it is sent with. An
    email carries its unsubscribe link as a link, in its text and HTML parts: the
    template's own where the message as made shows it, else a line of its own."""
    email = template.channel == MessageChannel.EMAIL
    unsubscribe = ""
    if email or template.uses("unsubscribe_url"):
        unsubscribe = tracking.unsubscribe_url(message_id)
    data = _data(context, unsubscribe_url=unsubscribe)
    subject = " ".join(_render(template.subject, data).split())[:200]
    body = _render(template.body, data).strip()
    link = _mark(template.marker, UNSUBSCRIBE_KEY)
    if unsubscribe:  # shown through a variable of the template's own: a link too
        body = body.replace(unsubscribe, link)
    if email and link not in body:
        body += f"\n\nUnsubscribe: {link}"
    text, pieces = _track_links(
        template, body, message_id=message_id, unsubscribe=unsubscribe
    )
    if template.channel == MessageChannel.SMS and len(text) > SMS_MAX_LENGTH:
        raise MessageNotRendered(_too_long(len(text)))
    html = ""
    if email:
        pictures = _pictures(template, context)
        html = _html(pieces, tracking.open_url(message_id), pictures)
    return RenderedMessage(
        subject=subject, text=text, html=html, unsubscribe_url=unsubscribe
    )
