"""Deploy files (issue 18 §4): what compose.yaml, the image and .env.example promise an operator.

Docker cannot run here (no daemon), so the files are checked for what would lose data or a key:
compose's schema itself is checked by `make lint` (check-jsonschema, vendor.compose-spec).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tools.constraints import runtime_pins

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_every_bxhours_service_waits_for_the_migration_and_shares_one_env() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["bxhours", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("serve", "worker"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
        assert service["env_file"] == [".env"], name  # one .env: one encryption key for all
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://"), name
        assert "healthcheck" in service, name
    assert (
        services["serve"]["command"][:2] == ["bxhours", "serve"]
        and "--no-worker" in services["serve"]["command"]
    )
    assert services["worker"]["command"][:2] == ["bxhours", "worker"]


def test_postgres_keeps_its_data_in_a_named_volume() -> None:
    compose = _compose()
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    assert "pgdata" in compose["volumes"]
    assert "healthcheck" in compose["services"]["db"]


def test_env_example_does_not_override_the_images_data_volume() -> None:
    """A DATABASE_URL in .env pointing at ./bxhours.db put the database (and its key) outside the
    image's /data volume: a re-created container started empty, with a new key."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    assert not [line for line in lines if re.match(r"\s*DATABASE_URL\s*=", line)]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "DATABASE_URL=sqlite+aiosqlite:////data/bxhours.db" in dockerfile
    assert 'VOLUME ["/data"]' in dockerfile


def test_the_image_installs_pinned_versions_of_every_runtime_dependency() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "-c constraints.txt" in dockerfile and "constraints.txt" in dockerfile.split("COPY", 2)[1]
    pinned = {
        line.split("==")[0]
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    }
    missing = sorted(set(runtime_pins()) - pinned - {"bxhours"})
    assert not missing, f"constraints.txt misses {missing}: run `make constraints`"


def test_gitignore_covers_every_file_bxhours_writes_beside_a_sqlite_database() -> None:
    patterns = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    for written in (
        "bxhours.db",
        "bxhours.db-journal",
        "bxhours.db-wal",
        "bxhours.db-shm",
        "bxhours.db.key",
        "bxhours.db.worker.lock",
        ".env",
    ):
        assert any(
            Path(written).match(pattern) for pattern in patterns if pattern and not pattern.startswith("#")
        ), written
