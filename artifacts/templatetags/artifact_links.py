"""`{{ path|artifact_href }}`: where a recorded file leads in this app (see `artifacts.links.artifact_href`)."""

from django import template

from artifacts.links import artifact_href

register = template.Library()
register.filter("artifact_href", artifact_href)
