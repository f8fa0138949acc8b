"""Swagger UI and ReDoc load from the installed sidecar package, not a CDN: the docs work offline."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_load_their_assets_from_our_static_files(path):
    page = Client().get(path).content.decode()
    assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css|png))["']""", page)
    assert assets, page
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "cdn." not in page and "@latest" not in page


def test_swagger_ui_keeps_the_authorization_across_reloads():
    page = Client().get("/api/docs/").content.decode()
    assert '"persistAuthorization": true' in page
