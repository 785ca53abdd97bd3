"""An invoice's PDF is drawn from its own copy and fetches nothing: a seller's name
is printed as written on every page, never read as styles or addresses."""

import http.server
import subprocess
import threading

import pytest

from orders.documents import css_string, invoice_pdf
from orders.services.invoices import issue_invoice
from tests.factories import StaffFactory
from tests.orders.receipt_helpers import business, entity_shop, item, legal_entity
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db


class _Listener(http.server.BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self):  # noqa: N802 (the handler's name)
        self.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Listener)
    _Listener.asked = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _invoice(seller_name: str):
    entity = legal_entity()
    shop = entity_shop(entity)
    associate = StaffFactory(store=shop)
    shirt = item(shop, "Oxford shirt", "SHIRT", "61.00")
    order = counter_sale(
        store=shop, lines=[(shirt, 1)], staff=associate, customer=business()
    )
    invoice, _ = issue_invoice(order=order, actor=associate)
    invoice.seller_name = seller_name
    invoice.save(update_fields=["seller_name"])
    return invoice


def _text(pdf: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


def test_a_seller_name_breaking_out_of_the_footer_fetches_nothing(listener):
    name = (
        f'Omnistore S.p.A.\n"}} body {{ background-image: '
        f"url(http://127.0.0.1:{listener}/from-a-name) }} "
        f'@import "file:///etc/passwd"; </style><img src="http://127.0.0.1:{listener}/img">'
    )
    invoice = _invoice(name)

    pdf = invoice_pdf(invoice)

    assert pdf.startswith(b"%PDF")
    assert _Listener.asked == []
    assert "page 1 of 1" in _text(pdf)


def test_a_seller_name_with_ampersand_and_quotes_prints_as_written():
    invoice = _invoice('Rossi & Figli "L\'Atelier" S.p.A.')

    text = _text(invoice_pdf(invoice))

    footer = [line for line in text.splitlines() if "page 1 of 1" in line]
    assert footer and 'Rossi & Figli "L\'Atelier" S.p.A. · VAT' in footer[0]
    assert "&amp;" not in text and "&quot;" not in text


def test_css_string_leaves_no_quote_backslash_or_line_break():
    written = css_string('a"b\\c\nd</style>é')
    assert not set('"\\\n<>') & set(written.replace("\\0000", ""))
    assert written.startswith("a\\000022 b")
