"""The hashed locks agree with the requirements they were made from (`make lock` after editing requirements*.txt)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text()
    return {package.lower().replace("_", "-"): version for package, version in PIN.findall(text)}


def test_every_pin_of_the_requirements_is_in_its_lock():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    runtime_lock, dev_lock = pins("requirements.lock"), pins("requirements-dev.lock")
    stale = {name: version for name, version in runtime.items() if runtime_lock.get(name) != version}
    stale |= {name: version for name, version in {**runtime, **dev}.items() if dev_lock.get(name) != version}
    assert not stale, f"requirements changed without `make lock`: {stale}"


def test_the_dev_lock_agrees_with_the_runtime_lock():
    runtime_lock, dev_lock = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: dev_lock.get(name) for name in runtime_lock} == runtime_lock


def test_the_installer_lock_pins_the_installer_of_its_requirements():
    assert pins("requirements-uv.lock") == pins("requirements-uv.txt") != {}


def test_every_locked_package_has_hashes():
    for name in ("requirements.lock", "requirements-dev.lock", "requirements-uv.lock"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / name).read_text().split("\n", 2)[2])
        assert all("--hash=sha256:" in entry for entry in entries if "==" in entry), name
