"""Artifacts API routes, mounted under /api/."""

urlpatterns: list = []
