"""Write constraints.txt: the exact versions of bxhours' runtime dependencies in this environment.

The Docker image installs with it (``pip install -c constraints.txt``), so an image built next month
runs the versions the test suite ran today. ``make constraints`` rewrites it after a dependency
changed; ``tests/test_deploy.py`` fails while it misses one.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

HEADER = (
    "# Exact versions of bxhours' runtime dependencies, as tested: the Docker image installs with these\n"
    "# (`pip install -c constraints.txt .`). `make constraints` rewrites this file after a dependency changed.\n"
)


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_pins(project: str = "bxhours") -> dict[str, str]:
    """Every distribution bxhours needs at run time (not its dev extras), with its installed version."""
    pins: dict[str, str] = {}

    def walk(name: str, extras: tuple[str, ...]) -> None:
        key = _key(name)
        if key in pins:
            return
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return
        pins[key] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker and not any(
                requirement.marker.evaluate({"extra": extra}) for extra in (extras or ("",))
            ):
                continue
            walk(requirement.name, tuple(requirement.extras))

    for text in metadata.distribution(project).requires or []:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        walk(requirement.name, tuple(requirement.extras))
    return pins


def render(pins: dict[str, str]) -> str:
    return HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt")
    target.write_text(render(runtime_pins()), encoding="utf-8")
    print(f"wrote {target}")
