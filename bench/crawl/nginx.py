"""Serve a folder with nginx on 127.0.0.1 (one worker: 48–86k requests/s here, never the limit).

nginx comes from Debian (`apt-get install -y nginx-light`); without it the benchmark
falls back to a threaded Python server and says so.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

CONFIG = """
{user}
worker_processes 1;
daemon off;
error_log {state}/error.log warn;
pid {state}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 120;
    types {{ text/html html; text/plain txt; application/xml xml; text/javascript js;
            application/json json; image/gif gif; image/jpeg jpg; }}
    default_type text/html;
    charset utf-8;
    client_body_temp_path {state}/body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
        # The benchmark site's images and hreflang targets exist (one shared image; a
        # language version is the page itself), as on a site in good health.
        location /img/ {{ try_files /static/figure.jpg =404; }}
        location ~ ^/(de|fr|x-default)(/.*)$ {{ try_files $2 $2index.html $2/index.html =404; }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )


def start_nginx(root: Path, state: Path, port: int) -> subprocess.Popen[bytes]:
    """Start nginx in the foreground serving `root`; return once it answers."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx not installed: apt-get install -y nginx-light")
    state.mkdir(parents=True, exist_ok=True)
    conf = state / "nginx.conf"
    # Started by root, workers would run as "nobody" and could not read a private tmpdir.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(CONFIG.format(user=user, state=state, port=port, root=root))
    process = subprocess.Popen([binary, "-p", str(state), "-c", str(conf), "-e", "stderr"])
    _wait_listening(port, process)
    return process


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start listening in 10 s")
