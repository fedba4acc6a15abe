"""The cluster's settings and set-up: the production environment every process gets (the
same keys as deploy/solabooks.env.example), the cluster's own database, and waiting for a
service to answer."""

from __future__ import annotations

import os
import secrets
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The cluster's own database and Redis database, emptied at every start (the object store
# keeps its files in memory, so data could not outlive a stop anyway). Their own variables,
# not DATABASE_URL / REDIS_URL, so that no real database is ever emptied by mistake.
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/solabooks_cluster"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
S3_BUCKET = "solabooks-cluster"
# What production_env() sets, in the order cluster.env lists them.
SETTINGS_KEYS = [
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "CONN_HEALTH_CHECKS",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "TASK_BACKEND",
    "BASE_URL",
    "ALLOWED_HOSTS",
    "TRUSTED_PROXIES",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "OUTBOX_LEASE_SECONDS",
    "FILE_STORAGE",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_ADDRESSING_STYLE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "SOLABOOKS_VAR_DIR",
    "LOG_LEVEL",
]


def production_env(var_dir: Path, *, lb_port: int, sink_port: int, store_port: int) -> dict:
    """The environment every process gets: deploy/solabooks.env.example, filled in."""
    secret_file = var_dir / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
        secret_file.chmod(0o600)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOLABOOKS_", "DJANGO_", "AWS_", "S3_"))
        and k not in ("DEBUG", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY")
    }
    settings = dict(
        DEBUG="0",
        SECRET_KEY=secret_file.read_text().strip(),
        DATABASE_URL=os.environ.get("CLUSTER_DATABASE_URL", DEFAULT_DATABASE_URL),
        CONN_HEALTH_CHECKS="1",
        REDIS_URL=os.environ.get("CLUSTER_REDIS_URL", DEFAULT_REDIS_URL),
        CACHE_KEY_PREFIX="cluster",
        TASK_BACKEND="database",
        BASE_URL=f"http://127.0.0.1:{lb_port}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TRUSTED_PROXIES="127.0.0.1/32",
        EMAIL_URL=f"smtp://127.0.0.1:{sink_port}?timeout=3",
        DEFAULT_FROM_EMAIL="billing@solabooks.test",
        OUTBOX_LEASE_SECONDS="60",
        FILE_STORAGE="s3",
        S3_BUCKET=S3_BUCKET,
        S3_ENDPOINT_URL=f"http://127.0.0.1:{store_port}",
        S3_REGION="us-east-1",
        S3_ADDRESSING_STYLE="path",
        AWS_ACCESS_KEY_ID="cluster",
        AWS_SECRET_ACCESS_KEY="cluster-secret",  # noqa: S106 (the local object store)
        SOLABOOKS_VAR_DIR=str(var_dir),
        LOG_LEVEL="INFO",
    )
    assert list(settings) == SETTINGS_KEYS
    env.update(
        settings,
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    return env


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """The settings part of the environment, as deploy/solabooks.env.example lays it out."""
    lines = [f"{key}={env[key]}" for key in SETTINGS_KEYS]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def recreate_postgres_database(url: str) -> None:
    """Drop the database `url` names (whoever is connected) and create it empty."""
    from urllib.parse import urlsplit

    from bench.harness import postgres_database

    name = urlsplit(url).path.lstrip("/")
    postgres_database(url, name, create=False)
    postgres_database(url, name, create=True)


def wait_for_http(url: str, *, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer 200 within {timeout} s")
