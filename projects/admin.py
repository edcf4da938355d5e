from django.contrib import admin

from core.admin import GatewayAdmin

from .models import Project


@admin.register(Project)
class ProjectAdmin(GatewayAdmin):
    pass
