"""`/admin/login/` behind the API login's throttles; the root URLconf includes this before the admin's own URLs."""

from django.urls import path

from .throttles import admin_login

urlpatterns = [path("login/", admin_login)]
