"""`make audit`: pip-audit over the hashed locks, and a loud skip (never a silent pass) when PyPI is unreachable.

pip-audit reads the locks as they are (`--disable-pip --require-hashes`: no resolver, no install), looks every
package up in PyPI's advisory data and fails on a known vulnerability or on a package it could not look up
(`--strict`). Without access to PyPI there is nothing to check against: say so on stdout and exit 0, so CI on
an offline machine stays usable while the output shows the audit did not run.
"""

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
# pip-audit asks PyPI for each pinned release (`/pypi/<name>/<version>/json`, whose `vulnerabilities` are the
# advisories). A proxy or mirror may answer project pages but not those: probe the very kind of URL it needs.
PROBE = "https://pypi.org/pypi/{name}/{version}/json"


def first_pin(lock: str) -> tuple[str, str]:
    for line in Path(lock).read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split(" ")[0].split("==")
            return name, version
    raise SystemExit(f"{lock} pins nothing")


def advisory_service_reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200 and b'"vulnerabilities"' in response.read()
    except (urllib.error.URLError, OSError):
        return False


def main(locks: list[str]) -> int:
    name, version = first_pin(locks[0])
    probe = PROBE.format(name=name, version=version)
    if not advisory_service_reachable(probe):
        print(f"WARNING: audit SKIPPED: PyPI's advisory data cannot be reached from here ({probe} does not answer);")
        print("WARNING: no package of the locks was checked for known vulnerabilities.")
        return 0
    status = 0
    for lock in locks:
        print(f"== pip-audit {lock}", flush=True)
        command = [
            str(BIN / "pip-audit"), "--strict", "--progress-spinner", "off",
            "--disable-pip", "--require-hashes", "-r", lock,
        ]  # fmt: skip
        status |= subprocess.run(command, check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements.lock", "requirements-dev.lock"]))
