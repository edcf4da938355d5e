from django.urls import path

from .views import FindingsView

urlpatterns = [path("repairs/", FindingsView.as_view(), name="repairs")]
