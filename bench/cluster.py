"""A whole Omnistore deployment on loopback: PostgreSQL primary and streaming replica,
Redis, two gunicorn app servers behind Debian's nginx, two Celery workers and one beat.

    .venv/bin/python bench/cluster.py up        # start everything (about a minute)
    .venv/bin/python bench/cluster.py status    # processes, addresses, replication
    .venv/bin/python bench/cluster.py down      # stop everything, remove the folder
    .venv/bin/python bench/cluster.py manage <manage.py arguments>   # with its environment
    .venv/bin/python bench/cluster.py replica pause|resume|stop|start

It runs what docs/operations.md tells an operator to run: the commands of
docs/deploy/Procfile, the environment of docs/deploy/omnistore.env and the nginx site
docs/deploy/nginx-omnistore.conf, with loopback addresses on free ports. What differs,
because nothing here reaches a payment gateway or a mail server and all load comes
from 127.0.0.1: the settings module is omnistore.settings.bench (production with the
test payment provider), emails are written to files, and the anonymous and user rate
limits are high. CLUSTER_DEMO=1 seeds the demo data; PG_DURABLE=1 keeps fsync on.
The folder is OMNISTORE_CLUSTER_DIR (default /tmp/omnistore-cluster); its state.json
says where everything runs, for the tests under tests/cluster/ and the benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from string import Template

import cluster_pg
from common import ROOT, free_port, wait_for_port

RUN = Path(os.environ.get("OMNISTORE_CLUSTER_DIR", "/tmp/omnistore-cluster"))
STATE = RUN / "state.json"
DEPLOY = ROOT / "docs" / "deploy"
APP_SERVERS = 2
WEB_WORKERS = 2
CELERY_WORKERS = 2
STOP_ORDER = ("beat", "webhooks", "worker", "nginx", "web")


def procfile() -> dict[str, str]:
    """The process commands of docs/deploy/Procfile, by name."""
    lines = (DEPLOY / "Procfile").read_text().splitlines()
    pairs = (line.split(":", 1) for line in lines if line and not line.startswith("#"))
    return {name.strip(): command.strip() for name, command in pairs}


def environment(values: dict) -> dict[str, str]:
    """docs/deploy/omnistore.env with this cluster's values, over the caller's own
    environment (PATH and the like), plus what only the local cluster needs."""
    env = {**os.environ}
    for line in (DEPLOY / "omnistore.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = Template(value).substitute(values)
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(RUN / "mail"),
        LOG_LEVEL="WARNING",
        # Every request of a load test comes from 127.0.0.1: one address, one count.
        THROTTLE_ANON="100000/minute",
        THROTTLE_USER="100000/minute",
    )
    return env


def command(name: str, **values) -> list[str]:
    """One Procfile line as arguments, its program taken from the project's venv."""
    words = shlex.split(Template(procfile()[name]).substitute(values))
    program = ROOT / ".venv" / "bin" / words[0]
    return [str(program) if program.exists() else words[0], *words[1:]]


def spawn(state: dict, key: str, args: list[str], env: dict) -> None:
    """Start a long-running process in its own session (it outlives this script),
    its output in <folder>/<key>.log, its pid kept in the state."""
    log = open(RUN / f"{key}.log", "ab")  # noqa: SIM115 - handed to the child
    child = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    log.close()
    state["pids"][key] = child.pid
    save(state)


def save(state: dict) -> None:
    STATE.write_text(json.dumps(state, indent=2))


def load() -> dict:
    if not STATE.exists():
        sys.exit(f"No cluster in {RUN} (run: bench/cluster.py up)")
    return json.loads(STATE.read_text())


def manage(state: dict, *args: str, quiet: bool = False) -> subprocess.CompletedProcess:
    python = str(ROOT / ".venv" / "bin" / "python")
    return subprocess.run(
        [python, "manage.py", *args],
        cwd=ROOT,
        env=state["env"],
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def up() -> None:
    if STATE.exists():
        sys.exit(f"A cluster already runs in {RUN} (bench/cluster.py down first)")
    RUN.mkdir(parents=True, exist_ok=True)
    RUN.chmod(0o755)  # the postgres user reaches its data directories through it
    (RUN / "mail").mkdir(exist_ok=True)
    state: dict = {"dir": str(RUN), "pids": {}, "ports": {}}
    save(state)
    started = time.perf_counter()
    start_data(state)
    start_app(state)
    print(f"cluster up in {time.perf_counter() - started:.0f} s: {STATE}")
    print(f"  storefront and staff: http://127.0.0.1:{state['ports']['nginx']}/")


def start_data(state: dict) -> None:
    """PostgreSQL primary and replica, Redis, the schema, demo data, static files."""
    durable = os.environ.get("PG_DURABLE", "0") == "1"
    ports = state["ports"]
    ports.update(primary=free_port(), replica=free_port(), redis=free_port())
    root = cluster_pg.make_root(RUN)
    state["pg_root"] = str(root)
    primary = cluster_pg.start_primary(root, ports["primary"], durable)
    save(state)
    start_redis(state)
    values = {
        "SETTINGS": "omnistore.settings.bench",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": primary,
        "DATABASE_REPLICA_URL": "",
        "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "CACHE_URL": f"redis://127.0.0.1:{ports['redis']}/1",
        "STATIC_ROOT": str(RUN / "static"),
        "MEDIA_ROOT": str(RUN / "media"),
        "SECURE_SSL_REDIRECT": "0",  # nginx speaks plain HTTP on loopback
    }
    state["env"] = environment(values)
    save(state)
    manage(state, *command("migrate")[2:], quiet=True)
    if os.environ.get("CLUSTER_DEMO", "0") == "1":
        manage(state, "seed_demo", quiet=True)
    manage(state, *command("collectstatic")[2:], quiet=True)
    # The replica is cloned once the data is there; every process then knows it.
    values["DATABASE_REPLICA_URL"] = cluster_pg.start_replica(
        root, ports["primary"], ports["replica"], durable
    )
    state["env"] = environment(values)
    save(state)


def start_redis(state: dict) -> None:
    port = state["ports"]["redis"]
    spawn(
        state,
        "redis",
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(RUN)],
        dict(os.environ),
    )  # fmt: skip
    if not wait_for_port(port, 100):
        raise RuntimeError("redis-server did not start")


def start_app(state: dict) -> None:
    """Two gunicorn servers, nginx in front, two Celery workers, the webhook worker and beat."""
    env, ports = state["env"], state["ports"]
    web = []
    for n in range(1, APP_SERVERS + 1):
        port = free_port()
        web.append(port)
        args = command(
            "web",
            BIND=f"127.0.0.1:{port}",
            WEB_WORKERS=WEB_WORKERS,
            ACCESS_LOG=str(RUN / f"web{n}-access.log"),
        )
        spawn(state, f"web{n}", args, env)
    ports["web"] = web
    for port in web:
        if not wait_for_port(port, 300):
            raise RuntimeError(f"gunicorn on {port} did not start")
    start_nginx(state)
    for n in range(1, CELERY_WORKERS + 1):
        args = command("worker", WORKER_CONCURRENCY=1, WORKER_NAME=f"worker{n}")
        spawn(state, f"worker{n}", args, env)
    spawn(state, "webhooks", command("webhooks", WEBHOOK_CONCURRENCY=4), env)
    spawn(state, "beat", command("beat", BEAT_SCHEDULE=str(RUN / "beat-schedule")), env)


def start_nginx(state: dict) -> None:
    """Debian's nginx with the site from docs/deploy, in a main configuration of its
    own (pid, logs and temp files in the cluster's folder)."""
    port = free_port()
    state["ports"]["nginx"] = port
    servers = " ".join(
        f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"
        for p in state["ports"]["web"]
    )
    site = (DEPLOY / "nginx-omnistore.conf").read_text()
    site = (
        site.replace("@LISTEN@", f"127.0.0.1:{port}")
        .replace("@APP_SERVERS@", servers)
        .replace("@ACCESS_LOG@", str(RUN / "nginx-access.log"))
        .replace("@MEDIA_ROOT@", str(RUN / "media"))
    )
    (RUN / "nginx-site.conf").write_text(site)
    temp = RUN / "nginx-temp"
    temp.mkdir(exist_ok=True)
    (RUN / "nginx.conf").write_text(
        "worker_processes 2;\n"
        f"pid {RUN}/nginx.pid;\n"
        f"error_log {RUN}/nginx-error.log warn;\n"
        + ("user root;\n" if os.geteuid() == 0 else "")  # the folder is root's
        + "events { worker_connections 1024; }\n"
        "http {\n"
        f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n"
        f"  include {RUN}/nginx-site.conf;\n"
        "}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    args = [nginx, "-c", str(RUN / "nginx.conf"), "-g", "daemon off;"]
    spawn(state, "nginx", args, dict(os.environ))
    if not wait_for_port(port, 100):
        raise RuntimeError("nginx did not start")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def stop_pid(pid: int, seconds: float = 20) -> None:
    if not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
        with_child_reaped(pid)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def with_child_reaped(pid: int) -> None:
    """Reap ``pid`` when this process started it (``up`` then ``down`` in one run)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def down() -> None:
    if not STATE.exists():
        print(f"No cluster in {RUN}")
        return
    state = load()
    pids = state["pids"]
    for prefix in STOP_ORDER:
        for key in [k for k in pids if k.startswith(prefix)]:
            stop_pid(pids[key])
    if "pg_root" in state:
        root = Path(state["pg_root"])
        cluster_pg.stop(root, "replica")
        cluster_pg.stop(root, "primary")
    if "redis" in pids:
        stop_pid(pids["redis"])
    shutil.rmtree(RUN, ignore_errors=True)
    print(f"cluster down, {RUN} removed")


def status() -> dict:
    state = load()
    ports = state["ports"]
    report = {
        "processes": {k: alive(pid) for k, pid in state["pids"].items()},
        "ports": ports,
        "url": f"http://127.0.0.1:{ports.get('nginx')}/",
        "replication": cluster_pg.replication(ports["primary"], ports["replica"]),
    }
    print(json.dumps(report, indent=2))
    return report


def replica(action: str) -> None:
    """Pause or resume WAL replay on the replica (it keeps answering, growing
    stale), or stop and start its server."""
    state = load()
    root, port = Path(state["pg_root"]), state["ports"]["replica"]
    if action in ("pause", "resume"):
        cluster_pg.replay(port, pause=action == "pause")
    elif action == "stop":
        cluster_pg.stop(root, "replica")
    elif action == "start":
        durable = os.environ.get("PG_DURABLE", "0") == "1"
        cluster_pg.start(root, "replica", port, durable)
        cluster_pg.wait_streaming(state["ports"]["primary"])
    else:
        sys.exit(f"bench/cluster.py replica pause|resume|stop|start, not {action!r}")


def main(argv: list[str]) -> None:
    action = argv[0] if argv else "status"
    if action == "up":
        try:
            up()
        except BaseException:
            down()
            raise
    elif action == "down":
        down()
    elif action == "status":
        status()
    elif action == "manage":
        manage(load(), *argv[1:])
    elif action == "replica" and len(argv) == 2:
        replica(argv[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
