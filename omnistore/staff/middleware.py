"""What every staff page's answer tells the browser about how it may be kept.

A staff page's address answers with the whole page, or with a fragment of it when
htmx asks (``is_partial`` in ``omnistore.staff.htmx``): a search or a tab puts the
fragment's address in the address bar. The answer says it depends on those request
headers (``Vary``), so the browser never shows a kept fragment as the page when the
associate comes Back to that address.

Nor is a staff page kept at all (``Cache-Control: private, no-store``): it holds
customers' details, and its forms carry sent-once tokens (``omnistore.staff.once``)
that a page shown again from the browser's memory after Back would send a second
time; fetched again, it draws new ones.
"""

from django.utils.cache import patch_cache_control, patch_vary_headers

STAFF_PATHS = "/staff/"
CHOSEN_BY = ("HX-Request", "HX-History-Restore-Request")


class StaffVaryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(STAFF_PATHS):
            patch_vary_headers(response, CHOSEN_BY)
            patch_cache_control(response, private=True, no_store=True)
        return response
