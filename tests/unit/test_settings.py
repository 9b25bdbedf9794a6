import pytest

from disclosure.errors import ConfigurationError
from services.settings import Settings, load_settings


def test_sections_read_from_govpub_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVPUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GOVPUB_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("GOVPUB_STORE_ENDPOINT", "s3.example:9000")
    monkeypatch.setenv("GOVPUB_STORE_ACCESS_KEY", "ak")
    monkeypatch.setenv("GOVPUB_STORE_SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("GOVPUB_STORE_BUCKET_PREFIX", "x-")
    settings = load_settings()
    assert settings.data_dir == tmp_path
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.store.private_bucket == "x-govpub-private"
    assert "a-real-secret" not in repr(settings)


def test_default_database_is_sqlite_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVPUB_DATA_DIR", str(tmp_path))
    assert load_settings().database_url == f"sqlite:///{tmp_path / 'govpub.db'}"


def test_endpoint_without_credentials_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("GOVPUB_STORE_ENDPOINT", "s3.example:9000")
    with pytest.raises(ConfigurationError, match="ACCESS_KEY"):
        load_settings()


def test_production_refuses_placeholder_secrets(monkeypatch):
    monkeypatch.setenv("GOVPUB_ENVIRONMENT", "production")
    monkeypatch.setenv("GOVPUB_STORE_ENDPOINT", "s3.example:9000")
    monkeypatch.setenv("GOVPUB_STORE_ACCESS_KEY", "minioadmin")
    monkeypatch.setenv("GOVPUB_STORE_SECRET_KEY", "minioadmin")
    with pytest.raises(ConfigurationError, match="placeholder"):
        load_settings()


def test_every_setting_is_described():
    def walk(model):
        for name, field in model.model_fields.items():
            assert field.description, name
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                walk(annotation)

    walk(Settings)


def test_use_prefect_reaches_an_already_imported_prefect(tmp_path, monkeypatch):
    """Prefect reads settings at import; pointing it at a server afterwards must still take effect
    (otherwise the client silently runs an in-process server and events go nowhere)."""
    import prefect.settings
    from prefect.context import refresh_global_settings_context

    from govpub.stack import use_prefect
    from services.settings import Settings

    for name in ("PREFECT_API_URL", "PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH"):
        monkeypatch.delenv(name, raising=False)
    try:
        use_prefect(Settings(data_dir=tmp_path), "http://127.0.0.1:4999/api")
        assert prefect.settings.get_current_settings().api.url == "http://127.0.0.1:4999/api"
    finally:
        monkeypatch.undo()
        refresh_global_settings_context()
