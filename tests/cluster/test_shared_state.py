"""What the app servers must share lives in Redis and PostgreSQL, and nginx serves
through either: a sign-in limit counted once across both servers, static files."""

import json
import uuid

import pytest

pytestmark = pytest.mark.cluster

SIGN_IN_LIMIT = 20  # a minute, per address and email


def test_the_sign_in_limit_is_counted_across_both_app_servers(cluster):
    email = f"guess-{uuid.uuid4().hex}@example.com"
    with cluster.client() as client:
        statuses = [
            client.post(
                "/api/v1/auth/token/", json={"email": email, "password": f"wrong{n}"}
            ).status_code
            for n in range(SIGN_IN_LIMIT + 2)
        ]
    assert 429 not in statuses[:SIGN_IN_LIMIT], statuses
    assert statuses[SIGN_IN_LIMIT:] == [429, 429], statuses
    servers = cluster.upstreams("POST", "/api/v1/auth/token/")
    assert len(servers) == 2 and min(servers.values()) > 0, servers


def test_static_files_are_served_through_nginx(cluster):
    """collectstatic wrote hashed names; the app serves them, compressed when asked,
    cached for good (a new version is a new name)."""
    manifest = json.loads((cluster.dir / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    with cluster.client() as client:
        response = client.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
