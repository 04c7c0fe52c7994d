"""Process configuration, read once from the environment and `.env`.

Every variable is documented in `.env.example`. A missing or invalid value must stop the program with
one message that names the variable — operators read it in a container log, not in a traceback — so
validation errors are turned into :class:`ConfigError` here and printed by the CLI.
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./bxhours.db"

# What each variable expects, in the words the error message uses.
EXPECTATIONS: dict[str, str] = {
    "DATABASE_URL": "an SQLAlchemy async URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db",
    "SLACK_BOT_TOKEN": "the bot token of the Slack app (xoxb-…)",
    "SLACK_SIGNING_SECRET": "the signing secret from the Slack app's Basic Information page",
    "SLACK_SIGNING_SECRET_PREVIOUS": "the signing secret being rotated out (unset it once Slack uses the new one)",
    "SLACK_API_URL": "the Slack Web API base URL ending in / (default https://slack.com/api/)",
    "SLACK_CLIENT_ID": "the Client ID from the Slack app's Basic Information page (hosted, multi-workspace mode)",
    "SLACK_CLIENT_SECRET": "the Client Secret from the Slack app's Basic Information page",
    "SLACK_AUTHORIZE_URL": "Slack's OAuth authorize page (default https://slack.com/oauth/v2/authorize)",
    "PUBLIC_URL": "the https:// address Slack and browsers reach bxhours at, e.g. https://bxhours.example.ch",
    "DELETE_AFTER_UNINSTALL_DAYS": "whole days (0 or more) a removed workspace's data is kept",
    "BEXIO_API_URL": "the bexio API base URL (default https://api.bexio.com)",
    "BEXIO_ACCESS_TOKEN": "a bexio personal access token (developer.bexio.com → Personal Access Tokens)",
    "BEXIO_CLIENT_ID": "the OAuth client id of your bexio app",
    "BEXIO_CLIENT_SECRET": "the OAuth client secret of your bexio app",
    "BEXIO_AUTH_URL": "the bexio identity provider realm URL (default https://auth.bexio.com/realms/bexio)",
    "BEXIO_WEBHOOK_SECRET": "a shared secret of at least 16 characters for POST /bexio/webhook",
    "BXHOURS_ENCRYPTION_KEY": "a Fernet key (44 url-safe base64 characters); create one with `bxhours keygen`",
    "BXHOURS_TIMEZONE": "an IANA time zone name such as Europe/Zurich",
    "BXHOURS_LANGUAGE": "de, fr, it or en",
    "BXHOURS_ADMINS": "Slack user ids separated by commas, e.g. U012AB3CD,U045EF6GH",
    "HOST": "the interface to listen on, e.g. 0.0.0.0 or 127.0.0.1",
    "PORT": "a TCP port number between 1 and 65535",
    "METRICS_PORT": "a TCP port number between 1 and 65535 other than PORT (unset: no metrics)",
    "LOG_FORMAT": "text or json",
}


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable and what it expects."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        expects = EXPECTATIONS.get(variable, "a valid value")
        super().__init__(f"{variable} {problem}: expected {expects}.")


class Settings(BaseSettings):
    """All configuration of one bxhours process. Field names are the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = DEFAULT_SQLITE_URL
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_signing_secret_previous: SecretStr | None = None
    """Also accepted while a signing secret is rotated (Slack signs with one secret at a time)."""
    slack_api_url: str = "https://slack.com/api/"
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"
    public_url: str | None = None
    delete_after_uninstall_days: int = Field(default=30, ge=0, le=3650)
    bxhours_workspace: str | None = None
    """The workspace commands act on when the database serves several (``--workspace`` sets it)."""
    bexio_api_url: str = "https://api.bexio.com"
    bexio_access_token: SecretStr | None = None
    bexio_client_id: str | None = None
    bexio_client_secret: SecretStr | None = None
    bexio_auth_url: str = "https://auth.bexio.com/realms/bexio"
    bexio_webhook_secret: SecretStr | None = None
    bxhours_encryption_key: SecretStr | None = None
    bxhours_timezone: str = "Europe/Zurich"
    bxhours_language: str = "de"
    """Workspaces' language until an admin sets theirs (Settings → language); people's own choice
    and their Slack language come first."""
    bxhours_admins: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """``GET /metrics`` (Prometheus) on this port of HOST; unset: no metrics (``bxhours.metrics``)."""
    log_format: Literal["text", "json"] = "text"

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not re.match(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://", value):
            raise ValueError("uses an unsupported driver")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # slack_sdk joins method names with urljoin: without the slash the last path segment is lost.
        return value if value.endswith("/") else value + "/"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("bexio_api_url", "bexio_auth_url", "slack_authorize_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("bxhours_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known time zone") from exc
        return value

    @field_validator("bxhours_language")
    @classmethod
    def _spoken(cls, value: str) -> str:
        from core.i18n import normalise_language

        language = normalise_language(value)
        if language is None:
            raise ValueError("is not a language bxhours speaks")
        return language

    @field_validator("bxhours_admins")
    @classmethod
    def _user_ids(cls, value: str) -> str:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        for user_id in ids:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id):
                raise ValueError(f"contains {user_id!r}, which is not a Slack user id")
        return ",".join(ids)

    @field_validator("bexio_webhook_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("is too short")
        return value

    @field_validator("bxhours_encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Fernet(value.get_secret_value().encode())
            except (ValueError, TypeError):
                raise ValueError("is not a valid Fernet key") from None
        return value

    @property
    def signing_secrets(self) -> tuple[str, ...]:
        """The secrets a request from Slack may be signed with: the current one, then the previous."""
        found = (self.slack_signing_secret, self.slack_signing_secret_previous)
        return tuple(s.get_secret_value() for s in found if s is not None and s.get_secret_value())

    @property
    def multi_workspace(self) -> bool:
        """Hosted mode: installed into any workspace by OAuth (no SLACK_BOT_TOKEN, an app's id and secret)."""
        has_token = self.slack_bot_token is not None and bool(self.slack_bot_token.get_secret_value())
        return (
            not has_token
            and bool(self.slack_client_id)
            and self.slack_client_secret is not None
            and bool(self.slack_client_secret.get_secret_value())
        )

    @property
    def admin_ids(self) -> frozenset[str]:
        """BXHOURS_ADMINS: single-workspace mode only (each installed workspace stores its own)."""
        if self.multi_workspace:
            return frozenset()
        return frozenset(part for part in self.bxhours_admins.split(",") if part)

    @property
    def base_url(self) -> str:
        """Where browsers reach this server: PUBLIC_URL, else the local address."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def require(self, *fields: str) -> None:
        """Fail with a ConfigError for the first of `fields` that is unset.

        Which variables are required depends on the command (`serve` needs Slack, `sync` needs
        bexio), so this is checked per command rather than by the model.
        """
        for name in fields:
            value = getattr(self, name)
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
                raise ConfigError(name.upper(), "is not set")


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one ConfigError for the first bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        message = str(error.get("msg", "is invalid"))
        message = message.removeprefix("Value error, ")
        if error.get("type") == "literal_error" or error.get("type", "").endswith("_parsing"):
            message = f"has the value {error.get('input')!r}, which is invalid"
        elif not message.startswith(("is ", "uses ", "contains ")):
            message = f"is invalid ({message})"
        raise ConfigError(variable, message) from None
