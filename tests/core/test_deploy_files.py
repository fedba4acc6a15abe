"""deploy/: the files a deployer copies are the ones the cluster runs, and they agree with the
app. The example environment passes `check --deploy`; HAProxy's log redaction cuts the same
token paths as the app's logging; the HAProxy configuration is valid."""

import re
import shutil
import subprocess

import pytest

from solabooks.core.logging import TOKEN_PATH

from .test_deploy_check import manage
from .test_settings import REPO

DEPLOY = REPO / "deploy"


def example_environment() -> dict[str, str]:
    env = {}
    for line in (DEPLOY / "solabooks.env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def test_the_example_environment_passes_the_deploy_check(tmp_path):
    env = example_environment()
    # The example's placeholders, filled in as a deployer would; SQLite stands in for the
    # database server, which the check does not reach.
    env.update(
        SECRET_KEY="a-real-secret-" + "x" * 50,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SOLABOOKS_VAR_DIR=str(tmp_path),
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_example_lists_what_the_cluster_sets():
    """Every setting the cluster runs with is in the example, set or as a commented line."""
    from bench.cluster_setup import SETTINGS_KEYS

    text = (DEPLOY / "solabooks.env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    # The cluster's own directory and key prefix are not a deployer's settings.
    local_only = {"SOLABOOKS_VAR_DIR", "CACHE_KEY_PREFIX"}
    assert set(SETTINGS_KEYS) - local_only <= documented


def test_haproxy_logs_redact_the_same_token_paths_as_the_app():
    config = (DEPLOY / "haproxy.cfg").read_text()
    proxy = re.search(r"regsub\('/\(([a-z|]+)\)/", config)
    app = re.search(r"\(\?:([a-z|]+)\)", TOKEN_PATH.pattern)
    assert proxy and app
    assert set(proxy.group(1).split("|")) == set(app.group(1).split("|"))
    # And the request line is logged from that variable, never from the raw path or URI.
    log_format = re.search(r'log-format "([^"]+)"', config).group(1)
    assert "txn.logged_path" in log_format
    assert "%r" not in log_format and "%HU" not in log_format and "%HP" not in log_format


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed")
def test_the_haproxy_configuration_is_valid():
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg")],
        env={
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "SOLABOOKS_LB_BIND": "127.0.0.1:18080",
            "SOLABOOKS_APP1": "127.0.0.1:18081",
            "SOLABOOKS_APP2": "127.0.0.1:18082",
            "SOLABOOKS_FORWARDED_PROTO": "http",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
