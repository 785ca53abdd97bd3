"""The OpenAPI schema as the API behaves: drf-spectacular's, with every error a view
can answer documented in the API's error body, and PATCH bodies as they are read."""

import copy

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework.mixins import UpdateModelMixin

from .api import ErrorSerializer

BODY_METHODS = ("POST", "PUT", "PATCH")
API_VERSION = "v1"


class AutoSchema(openapi.AutoSchema):
    def get_tags(self) -> list[str]:
        """An operation a view does not tag is listed under its resource, the part
        of the path after the API's version (``/api/v1/cart/…``: cart)."""
        parts = self._tokenize_path()
        if parts and parts[0] == API_VERSION and len(parts) > 1:
            return parts[1:2]
        return parts[:1]

    def _errors(self) -> dict[int, str]:
        """The errors this operation can answer, from what its view does. A view may
        document them itself (with a better description); those stay."""
        errors = {404: "Not found: an unknown id or path, or not one of yours."}
        takes_input = self.method in BODY_METHODS or bool(
            self.get_override_parameters()
            or self.get_filter_backends()
            or self._get_paginator()
        )
        if takes_input:
            errors[400] = "Invalid input (field errors in `extra`); nothing changed."
        if self.view.get_authenticators():
            errors[401] = "The credentials sent are not valid."
            errors[403] = "Not allowed for this account (or a missing CSRF token)."
        if self.method in BODY_METHODS:
            errors[413] = "The request body is too large (`too_large`)."
            errors[415] = "Unsupported media type."
        if self.view.get_throttles():
            errors[429] = "Too many requests; retry after `extra.wait` seconds."
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self._errors().items():
            key = str(code)
            if key in responses and "content" in responses[key]:
                continue
            described = responses.get(key, {}).get("description") or description
            responses[key] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=described), key
            )
        for key, response in responses.items():
            if key.startswith("4") and "content" not in response:
                responses[key] = self._get_response_for_code(
                    OpenApiResponse(
                        ErrorSerializer, description=response["description"]
                    ),
                    key,
                )
        return dict(sorted(responses.items()))

    def _get_request_for_media_type(self, serializer, direction="request"):
        """Our views validate a PATCH body whole (only DRF's update mixin reads it
        as partial), so its required fields are documented as required."""
        if self.method != "PATCH" or isinstance(self.view, UpdateModelMixin):
            return super()._get_request_for_media_type(serializer, direction)
        schema = copy.copy(self)
        schema.method = "POST"
        return openapi.AutoSchema._get_request_for_media_type(
            schema, serializer, direction
        )
