"""Content negotiation. Kept apart from the views: DRF imports the class its settings
name while its views module loads."""

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with what nearly every API client sends answered without
    parsing: no ``Accept`` header or ``*/*`` (the first renderer, JSON), or exactly one
    renderer's media type. Anything else (several types, parameters, ``?format=``) is
    negotiated by DRF as before."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        override = self.settings.URL_FORMAT_OVERRIDE
        if format_suffix is None and not (override and override in request.GET):
            if accept == "*/*":
                return renderers[0], renderers[0].media_type
            for renderer in renderers:
                if accept == renderer.media_type:
                    return renderer, accept
        return super().select_renderer(request, renderers, format_suffix)
