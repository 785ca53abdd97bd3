app_name = "customers-api"

urlpatterns: list = []
