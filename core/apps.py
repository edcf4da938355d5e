from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "AWS plumbing"

    def ready(self):
        from core.api.authentication import connect_signals
        from core.dynamo.values import accept_numbers_longer_only_by_zeros

        connect_signals()
        accept_numbers_longer_only_by_zeros()
