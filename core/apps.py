from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "AWS plumbing"

    def ready(self):
        from core.api.authentication import connect_signals

        connect_signals()
