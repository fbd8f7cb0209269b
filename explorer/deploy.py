"""Replicas behind nginx: when a course outgrows one process, run several identical ones behind a balancer.

Streamlit keeps each browser session in the process that served its page, so every request of a
browser (the page, its websocket ``/_stcore/stream``, uploads ``/_stcore/upload_file``, media
``/media``) must reach the same replica. Open-source nginx has no sticky-cookie module, so
:func:`nginx_config` makes nginx set a random ``explorer_affinity`` cookie on a browser's first
response and hash every later request on it (``hash … consistent``). When a replica stops, its
browsers' requests go to the next replica, where they start a fresh session, and the page says
why (:mod:`explorer.ui.common`).

``python -m explorer replicas N`` starts N replicas (``python -m explorer serve``) and nginx on
one machine; ``python -m explorer nginx-config`` prints the configuration for replicas elsewhere
(``deploy/nginx.conf`` is its output for Docker Compose).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from explorer.errors import UserError, check_range
from explorer.weights.checkpoint import MAX_CHECKPOINT_BYTES

NGINX = "/usr/sbin/nginx"
AFFINITY_COOKIE = "explorer_affinity"
HEALTH_PATH = "/_stcore/health"
START_TIMEOUT_S = 180


class DeployError(UserError):
    """Replicas or the balancer that cannot start; the message says why."""


def nginx_config(replicas: Sequence[str], listen: str, state_folder: str | None = None) -> str:
    """An nginx.conf that balances browsers over ``replicas`` (``host:port`` each) with session affinity.

    ``listen`` is nginx's own ``address:port``. Request bodies (uploads) are streamed to the replica,
    never written to nginx's disk. ``state_folder`` holds nginx's pid, log and temporary paths (for a
    balancer run by an ordinary user); without it nginx's defaults are used (as in a container).
    """
    state = temp = ""
    if state_folder is not None:
        state = f"pid {state_folder}/nginx.pid;\nerror_log {state_folder}/error.log warn;"
        kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        temp = "\n".join(f"    {kind}_temp_path {state_folder}/{kind};" for kind in kinds)
    upstreams = "\n".join(f"        server {replica} max_fails=1 fail_timeout=10s;" for replica in replicas)
    body_mb = MAX_CHECKPOINT_BYTES // 2**20 + 10
    return f"""# ResNet Explorer: {len(replicas)} replicas behind one balancer (written by explorer/deploy.py).
worker_processes 1;
{state}
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
{temp}
    client_max_body_size {body_mb}m;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    # A browser's first response sets a random affinity cookie; every later request is hashed on it.
    map $cookie_{AFFINITY_COOKIE} $explorer_affinity {{
        ''      $request_id;
        default $cookie_{AFFINITY_COOKIE};
    }}
    upstream explorer {{
        hash $explorer_affinity consistent;
{upstreams}
    }}
    server {{
        listen {listen};
        location / {{
            proxy_pass http://explorer;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_request_buffering off;
            proxy_max_temp_file_size 0;
            proxy_next_upstream error timeout http_502 http_503;
            add_header Set-Cookie "{AFFINITY_COOKIE}=$explorer_affinity; Path=/; HttpOnly; SameSite=Lax" always;
        }}
    }}
}}
"""


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read() == b"ok"
    except OSError:
        return False


def _wait_until_healthy(urls: Sequence[str], processes: Sequence[subprocess.Popen]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    waiting = list(urls)
    while waiting:
        if any(p.poll() is not None for p in processes):
            raise DeployError("a replica or the balancer exited while starting; see its output above")
        if time.monotonic() > deadline:
            raise DeployError(f"not healthy after {START_TIMEOUT_S} s: {', '.join(waiting)}")
        waiting = [url for url in waiting if not _healthy(url)]
        time.sleep(0.3)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``replicas`` and ``nginx-config`` to the command parsers."""
    config = commands.add_parser("nginx-config", help="print an nginx.conf balancing browsers over replicas")
    config.add_argument("replicas", nargs="+", metavar="HOST:PORT", help="e.g. explorer1:8501 explorer2:8501")
    config.add_argument("--listen", default="80", help="nginx's own [address:]port (default 80)")
    config.set_defaults(run=lambda args: nginx_config(args.replicas, args.listen).rstrip())
    replicas = commands.add_parser("replicas", help="run N replicas of the app behind nginx on this machine")
    replicas.add_argument("count", type=int, help="how many replicas (processes) to run")
    replicas.add_argument("--port", type=int, default=8500, help="the balancer's port (default 8500)")
    replicas.add_argument("--address", default="0.0.0.0", help="the balancer's address (default 0.0.0.0)")
    replicas.add_argument("--first-port", type=int, default=8601, help="the first replica's port (default 8601)")
    replicas.add_argument("--nginx", default=NGINX, help=f"the nginx program (default {NGINX})")
    replicas.set_defaults(run=_replicas)


def _replicas(args: argparse.Namespace) -> str:
    check_range("replicas", args.count, 1, 64)
    if shutil.which(args.nginx) is None:
        raise DeployError(f"no nginx at {args.nginx}: install Debian's nginx package (apt-get install nginx)")
    ports = [args.first_port + i for i in range(args.count)]
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="explorer-nginx-") as folder:
        try:
            processes += start_replicas(ports, [])
            config = Path(folder) / "nginx.conf"
            config.write_text(nginx_config([f"127.0.0.1:{p}" for p in ports], f"{args.address}:{args.port}", folder))
            balancer = subprocess.Popen([args.nginx, "-p", folder, "-c", str(config), "-g", "daemon off;"])
            processes.append(balancer)
            host = "127.0.0.1" if args.address == "0.0.0.0" else args.address
            _wait_until_healthy([f"http://{host}:{args.port}{HEALTH_PATH}"], [balancer])
            print(f"balancer: pid {balancer.pid}, http://{host}:{args.port}", file=sys.stderr, flush=True)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            balancer.wait()
            return f"the balancer stopped (exit status {balancer.returncode})"
        except KeyboardInterrupt:
            return "stopped"
        finally:
            stop(processes)


def start_replicas(ports: Sequence[int], options: Sequence[str]) -> list[subprocess.Popen]:
    """One replica (``python -m explorer serve`` with Streamlit's ``options``) on each of ``ports`` of 127.0.0.1,
    named 1, 2 … and trusting a balancer on this machine; returned once every one answers its health check."""
    processes: list[subprocess.Popen] = []
    try:
        for i, port in enumerate(ports):
            command = [
                sys.executable, "-m", "explorer", "serve", "--replicas", "1", *options, "--server.port", str(port),
                "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
            ]  # fmt: skip
            env = {"EXPLORER_TRUSTED_PROXY": "127.0.0.1", **os.environ, "EXPLORER_REPLICA": str(i + 1)}
            processes.append(subprocess.Popen(command, env=env, start_new_session=True))
            print(f"replica {i + 1}: pid {processes[-1].pid}, port {port}", file=sys.stderr, flush=True)
        _wait_until_healthy([f"http://127.0.0.1:{port}{HEALTH_PATH}" for port in ports], processes)
    except BaseException:
        stop(processes)
        raise
    return processes


def stop(processes: Sequence[subprocess.Popen]) -> None:
    """Ask each process to stop, and kill those still running 20 s later."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
