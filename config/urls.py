from django.contrib import admin
from django.urls import include, path

from core.api.root import ApiRootView
from core.views import MetricsView, healthz

admin.site.site_header = "DynamoDB window"
admin.site.site_title = "DynamoDB window"
admin.site.index_title = "Projects, jobs and artifacts in DynamoDB and S3"
admin.site.site_url = "/api/"  # "View site": the API's root, browsable for staff

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("api/", include("config.api_urls")),
    path("api", ApiRootView.as_view()),  # the root without its trailing slash, as every API route
]

# Under /api/ these answer in the API's error shape; elsewhere they are Django's own pages.
handler400 = "core.api.errors.bad_request"
handler404 = "core.api.errors.page_not_found"
handler500 = "core.api.errors.server_error"
