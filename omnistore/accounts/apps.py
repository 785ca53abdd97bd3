from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "omnistore.accounts"
    label = "accounts"
    verbose_name = "Accounts and staff"
