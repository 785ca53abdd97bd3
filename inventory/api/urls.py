from rest_framework.routers import SimpleRouter

from .views import ProductViewSet, StoreViewSet

app_name = "inventory-api"

router = SimpleRouter()
router.register("products", ProductViewSet, basename="product")
router.register("stores", StoreViewSet, basename="store")

urlpatterns = router.urls
