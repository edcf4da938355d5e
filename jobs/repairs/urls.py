from django.urls import path, re_path

from .views import FindingsView, ScansView, ScanView

urlpatterns = [
    path("repairs/", FindingsView.as_view(), name="repairs"),
    path("repairs/scans/", ScansView.as_view(), name="repairs-scans"),
    re_path(r"^repairs/scans/(?P<scan_id>[0-9]{1,18})/$", ScanView.as_view(), name="repairs-scan"),
]
