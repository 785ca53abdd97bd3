from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from customers.views import password_reset, shared_wishlist
from omnistore.core.api_index import ApiIndexView
from omnistore.core.health import health
from omnistore.staff.auth import staff_only_unless

admin.site.site_header = "Omnistore back office"
admin.site.site_title = "Omnistore"
admin.site.index_title = "Managers"

api_v1 = [  # the storefront's busiest paths (cart, checkout) are matched first
    path("", include("orders.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("campaigns.api.urls")),
    path("", ApiIndexView.as_view(), name="api-index"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="staff:dashboard", permanent=False)),
    path("admin/", admin.site.urls),
    path("staff/", include("omnistore.staff.urls")),
    path("api/v1/", include(api_v1)),
    path("t/", include("campaigns.tracking_urls")),
    # A shared wishlist as a page, for the link in the email a customer sends.
    path("wishlists/<str:token>/", shared_wishlist, name="shared-wishlist"),
    # Choosing a new password, for the link in the reset email.
    path("account/password-reset/", password_reset, name="account-password-reset"),
    path("health/", health, name="health"),  # for load balancers and monitors
    # What a browser asks for when a page links no icon: the back office's, found
    # when asked (its hashed name in production).
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static_url, str)("omnistore/favicon.png")),
    ),
]

# The API's schema and docs: open in development and the demo, staff only in
# production (OMNISTORE_API_DOCS_PUBLIC).
api_docs = staff_only_unless("OMNISTORE_API_DOCS_PUBLIC")
urlpatterns += [
    path("api/schema/", api_docs(SpectacularAPIView.as_view()), name="schema"),
    path(
        "api/docs/",
        api_docs(SpectacularSwaggerView.as_view(url_name="schema")),
        name="api-docs",
    ),
]

# Unhandled errors: the API's JSON error body under /api/, Django's page elsewhere.
handler500 = "omnistore.core.errors.server_error"
handler400 = "omnistore.core.errors.bad_request"

# Uploaded images: runserver serves them while DEBUG is on; in production nginx does
# (docs/deploy/nginx-omnistore.conf).
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
