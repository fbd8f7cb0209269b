"""Deployment: the balancer's configuration, as committed for Docker Compose and as run on one machine."""

import re
import subprocess
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.deploy import AFFINITY_COOKIE, NGINX, nginx_config
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_the_compose_balancer_is_the_generated_configuration() -> None:
    assert (DEPLOY / "nginx.conf").read_text() == nginx_config(["explorer1:8501", "explorer2:8501"], "80")
    services = set(re.findall(r"^  (explorer\d+):", (DEPLOY / "compose.yaml").read_text(), flags=re.M))
    assert services == {"explorer1", "explorer2"}


def test_the_configuration_keeps_each_browser_on_one_replica_and_streams_uploads() -> None:
    config = nginx_config(["127.0.0.1:8601", "127.0.0.1:8602"], "127.0.0.1:8500")
    assert "hash $explorer_affinity consistent;" in config and f'Set-Cookie "{AFFINITY_COOKIE}=' in config
    assert "proxy_set_header Upgrade $http_upgrade;" in config  # the websocket
    assert "proxy_request_buffering off;" in config and "proxy_max_temp_file_size 0;" in config  # nothing on disk
    assert "client_max_body_size 610m;" in config  # the largest checkpoint passes


@pytest.mark.skipif(
    not Path(NGINX).exists(), reason="Debian's nginx is not installed (scripts/run_tests.sh installs it)"
)
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(["127.0.0.1:8601", "127.0.0.1:8602"], "127.0.0.1:8500", str(tmp_path)))
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True)
    assert checked.returncode == 0, checked.stderr.decode()


def test_nginx_config_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nginx-config", "a:1", "b:2", "c:3", "--listen", "8080"]) == 0
    out = capsys.readouterr().out
    assert out.count("max_fails=1") == 3 and "listen 8080;" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["replicas", "0"], "replicas must be a whole number from 1 to 64"),
        (["replicas", "2", "--nginx", "/no/nginx"], "no nginx at"),
    ],
)
def test_replica_errors_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
