"""Projects API routes, mounted under /api/."""

urlpatterns: list = []
