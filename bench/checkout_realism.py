"""What makes the realistic run look like a deployment's day: a webhook subscriber on
loopback, the automations on, a shop associate signed in for the stock lookup, and
shops enough to ask one SKU's availability across 500 of them."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from checkout_config import AVAILABILITY_SHOPS
from common import free_port, wait_for_port
from processes import spawn_child


class _Receiver(BaseHTTPRequestHandler):
    # HTTP/1.1, the connection kept open between calls, as web servers answer
    protocol_version = "HTTP/1.1"
    received = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - the name http.server calls
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Receiver.lock:
            _Receiver.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def start_receiver() -> str:
    """A subscriber answering 204 to every POST on loopback, keeping connections
    open: Debian's nginx (one worker process), as a subscriber's endpoint is
    usually served, when it is installed; otherwise a Python server on a thread of
    this process (a thread per connection), whose CPU then counts as the load
    generator's (about 0.3 ms a call on this machine)."""
    port = free_port()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if os.path.exists(nginx):
        _start_nginx(nginx, port)
    else:
        server = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/hook"


_nginx_log: list[Path] = []


def _start_nginx(nginx: str, port: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-subscriber-"))
    temp = folder / "temp"
    temp.mkdir()
    log = folder / "access.log"
    (folder / "nginx.conf").write_text(
        "worker_processes 1;\n"
        f"pid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log warn;\n"
        + ("user root;\n" if os.geteuid() == 0 else "")
        + "events { worker_connections 1024; }\n"
        "http {\n"
        f"  access_log {log};\n"
        f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n"
        "  keepalive_requests 1000000;\n"
        f"  server {{ listen 127.0.0.1:{port}; location / {{ return 204; }} }}\n"
        "}\n"
    )
    conf = str(folder / "nginx.conf")
    spawn_child([nginx, "-c", conf, "-g", "daemon off;"], folder)
    if not wait_for_port(port, 100):
        raise RuntimeError("the subscriber's nginx did not start")
    _nginx_log.append(log)


def received() -> int:
    """The POSTs the subscriber answered so far."""
    if _nginx_log:
        with open(_nginx_log[0], "rb") as f:
            return sum(1 for line in f if b'"POST ' in line)
    return _Receiver.received


def subscribe(url: str, ttl: float) -> int:
    """The subscriber registered for every event; the web workers see it once their
    kept list of endpoints expires (``ttl`` seconds), so this waits that long."""
    from omnistore.core.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        name="bench receiver", url=url, secret="s" * 32
    )
    time.sleep(ttl + 0.5)
    return endpoint.pk


def automations_on() -> list[str]:
    """Every automation the product ships, active as a shop would run them."""
    from campaigns.models import AUTOMATION_KINDS, Campaign
    from campaigns.services.campaigns import activate_automation

    names = []
    for campaign in Campaign.objects.filter(kind__in=AUTOMATION_KINDS):
        try:
            activate_automation(campaign=campaign)
        except Exception as exc:  # a draft the product ships incomplete stays off
            print(f"  automation {campaign.name!r} left off: {exc}")
            continue
        names.append(campaign.name)
    return names


def realistic_day(endpoint: int, on: bool, ttl: float) -> None:
    """Switch the subscriber and the automations on (the realistic day) or off
    (the friendly one), and wait until the web workers see it."""
    from campaigns.models import AUTOMATION_KINDS, Campaign, CampaignStatus
    from campaigns.services.campaigns import pause_automation
    from omnistore.core.models import WebhookEndpoint

    row = WebhookEndpoint.objects.get(pk=endpoint)
    row.active = on
    row.save(update_fields=["active"])
    if on:
        automations_on()
    else:
        for campaign in Campaign.objects.filter(
            kind__in=AUTOMATION_KINDS, status=CampaignStatus.ACTIVE
        ):
            pause_automation(campaign=campaign)
    time.sleep(ttl + 0.5)


def staff_session(shop_id: int) -> str:
    """The session cookie of an associate of ``shop_id``, signed in."""
    from django.test import Client

    from inventory.models import Location
    from omnistore.accounts.models import Role, User
    from omnistore.accounts.services import assign_role

    user = User.objects.create_user(username="bench-associate", password=None)
    assign_role(
        user=user, role=Role.ASSOCIATE, shops=[Location.objects.get(pk=shop_id)]
    )
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def availability_probe(data: dict) -> tuple[int, int, int]:
    """(product, variant, shops stocking it) for one best seller in AVAILABILITY_SHOPS shops:
    shops are added (stocking only it) when the seeded ones are fewer."""
    from django.db import connection

    variant = data["hot"][0]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM inventory_location WHERE kind = 'shop'")
        have = cur.fetchone()[0]
        missing = max(AVAILABILITY_SHOPS - have, 0)
        cur.execute(
            "INSERT INTO inventory_location (code, name, kind, address, city, postcode,"
            " country, latitude, longitude, opening_hours, phone, sells_in_store,"
            " click_and_collect, ships_online_orders, active)"
            " SELECT 'A' || lpad(g::text, 4, '0'), 'Outlet ' || g, 'shop', 'Via Po ' || g,"
            " 'Town ' || g, '', 'IT', 40 + (g %% 50) * 0.1, 10 + (g %% 60) * 0.1, '9-19',"
            " '', true, true, false, true FROM generate_series(1, %s) g",
            [missing],
        )
        cur.execute(
            "INSERT INTO inventory_stocklevel (variant_id, location_id, on_hand, reserved,"
            " safety_stock, low_stock_threshold, updated_at)"
            " SELECT %s, l.id, 5, 0, 0, 3, now() FROM inventory_location l"
            " WHERE l.code LIKE 'A%%' AND l.kind = 'shop'",
            [variant],
        )
        cur.execute("SELECT product_id FROM inventory_variant WHERE id = %s", [variant])
        product = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM inventory_stocklevel s JOIN inventory_location l"
            " ON l.id = s.location_id WHERE s.variant_id = %s AND l.kind = 'shop'",
            [variant],
        )
        stocked_in = cur.fetchone()[0]
    connection.close()
    return product, variant, stocked_in
