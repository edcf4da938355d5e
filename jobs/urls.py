"""Jobs API routes, mounted under /api/."""

urlpatterns: list = []
