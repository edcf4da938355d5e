from django.contrib import admin

from core.admin import GatewayAdmin

from .models import Job, StaleKeyRepair


@admin.register(Job)
class JobAdmin(GatewayAdmin):
    pass


@admin.register(StaleKeyRepair)
class StaleKeyRepairAdmin(GatewayAdmin):
    pass
