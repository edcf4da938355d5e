"""`{% load admin_time %}`: the admin's date and duration formats (core.time_formats) in templates."""

from django import template

from core.time_formats import format_datetime, format_duration

register = template.Library()
register.filter("admin_datetime", format_datetime)
register.filter("admin_duration", format_duration)
