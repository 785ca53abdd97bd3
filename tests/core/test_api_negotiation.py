"""Content negotiation on the API: the same answers as DRF's, the common ones quicker."""

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from omnistore.core.negotiation import ContentNegotiation

RENDERERS = [JSONRenderer(), BrowsableAPIRenderer()]


@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        ("*/*", ""),
        ("application/json", ""),
        ("text/html", ""),
        ("application/json; indent=4", ""),
        ("text/html,application/xhtml+xml,*/*;q=0.8", ""),
        ("application/json", "?format=api"),
        ("*/*", "?format=json"),
    ],
)
def test_the_renderer_chosen_is_the_one_drf_would_choose(accept, query):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    django_request = APIRequestFactory().get(f"/api/v1/products/{query}", **headers)

    def outcome(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(
                Request(django_request), RENDERERS
            )
        except Exception as error:  # DRF's answer may be a 406
            return type(error)
        return type(renderer), media_type

    assert outcome(ContentNegotiation()) == outcome(DefaultContentNegotiation())


def test_an_unacceptable_type_is_still_a_406(db):
    response = APIClient().get("/api/v1/products/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert APIClient().get("/api/v1/products/").status_code == 200
