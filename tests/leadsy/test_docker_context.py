"""The Docker build context leaks nothing (R40), and the compose file starts things in a safe order.

No Docker daemon runs in CI, so these read the files: `.dockerignore` with Docker's rules (a pattern excludes a
path or any folder above it, `**` spans folders, the last matching line wins, `!` re-includes), the Dockerfile and
docker-compose.yml.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

PRIVATE = [
    "var/db.sqlite3",
    "var/private/imports/originals/abc.csv",
    "var/test_db.sqlite3",
    ".env",
    ".env.production",
    ".venv/bin/python",
    ".git/HEAD",
    "leadsy/__pycache__/settings.cpython-311.pyc",
]
NEEDED = ["manage.py", "requirements.lock", "leadsy/settings.py", "imports/models.py", "gunicorn.conf.py"]


def _regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def rules() -> list[tuple[bool, re.Pattern]]:
    found = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        found.append((include, _regex(pattern)))
    return found


def excluded(path: str) -> bool:
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for include, regex in rules():
        if any(regex.fullmatch(candidate) for candidate in candidates):
            verdict = not include
    return verdict


@pytest.mark.parametrize("path", PRIVATE)
def test_private_and_local_files_stay_out_of_the_image(path):
    assert excluded(path), f"{path} would be copied into the image"


@pytest.mark.parametrize("path", NEEDED)
def test_the_code_goes_in(path):
    assert not excluded(path)


def test_the_image_is_multi_stage_non_root_with_static_collected():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
    assert "--require-hashes" in dockerfile and "requirements.lock" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
    assert "collectstatic" in dockerfile and "STATIC_ROOT=/app/static" in dockerfile


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_everything_waits_for_the_one_shot_migrate(compose):
    services = compose["services"]
    assert services["migrate"]["command"].startswith("python manage.py migrate")
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"] == {"condition": "service_healthy"}, name
        assert services[name]["restart"] == "unless-stopped", name


def test_services_have_healthchecks_and_local_http_works(compose):
    services = compose["services"]
    for name in ("web", "worker", "db", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["environment"]["SECURE_SSL_REDIRECT"] == "${SECURE_SSL_REDIRECT:-False}"
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^SECURE_SSL_REDIRECT=False$", example, re.MULTILINE)


class ComposeLoader(yaml.SafeLoader):
    """Compose's merge tags (`!override`, `!reset`) read as the plain value they carry."""


for _tag in ("!override", "!reset"):
    ComposeLoader.add_constructor(
        _tag,
        lambda loader, node: (
            loader.construct_sequence(node)
            if isinstance(node, yaml.SequenceNode)
            else loader.construct_mapping(node)
            if isinstance(node, yaml.MappingNode)
            else loader.construct_scalar(node)
        ),
    )


def test_the_production_variant_turns_https_on():
    production = yaml.load((ROOT / "docker-compose.prod.yml").read_text(), Loader=ComposeLoader)  # noqa: S506
    web = production["services"]["web"]
    assert web["environment"]["SECURE_SSL_REDIRECT"] == "True"
    assert web["ports"] == ["127.0.0.1:8000:8000"]
