from django.contrib import admin

from core.admin import GatewayAdmin

from .models import Artifact


@admin.register(Artifact)
class ArtifactAdmin(GatewayAdmin):
    pass
