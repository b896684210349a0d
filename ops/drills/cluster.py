#!/usr/bin/env python3
"""Scale-out drill: two app servers behind nginx, a PostgreSQL primary and its streaming
replica; one app server killed and the primary failed over while clients keep working.

Run as root from a checkout (docs/DEPLOYMENT.md, "Drills"); it builds everything itself and
tears it all down at the end, also when it fails or is interrupted:

* two network namespaces (csd-a, csd-b), each joined to the host by a veth link, each running
  `citesmart serve` (gunicorn) with its own var directory (read model, caches) and, as the
  deployment guide runs it (citesmart-analytics.service), `citesmart analytics watch`: the
  read model refreshed on each committed write by a process of its own, the web workers
  never refreshing themselves (ANALYTICS_AUTO_REFRESH=0; --no-watch: one web worker
  listens and refreshes, as `citesmart serve` alone does);
* a PostgreSQL 15 primary (port 5442) made with initdb, seeded with the reference data and a
  small demo history, and a replica (5443) made with pg_basebackup, streaming synchronously
  (a commit is acknowledged once the replica has it on disk). The app servers reach them over
  their links with libpq's multi-host URL and target_session_attrs=read-write: they write to
  whichever server is the primary;
* nginx on 127.0.0.1:<port> in front, skipping a dead app server (retries).

Each app server builds its read model and warms it as a deployment does. Then load through
nginx from --load-processes processes (visitors and API readers arriving evenly over --ramp
seconds, importing clients from the start); at 1/4 of the run the app server of csd-a is
killed (every process in its namespace, SIGKILL); at 1/2 the primary is stopped like a crash
(immediate) and, --detect seconds later, the replica is promoted (--planned: the primary
first refuses writes, read-only, for --detect seconds, then stops cleanly: a planned
switchover).
Afterwards every acknowledged import must be on the new primary. Summary printed and written
to bench/results/cluster-drill.json: per kind of request the clients' timings and nginx's
($request_time), the dashboard's per phase, and the CPU seconds of each role (load generator,
app servers, PostgreSQL, nginx): on one machine they all share its cores. The machine's own
PostgreSQL (5432) is never touched.

    sudo .venv/bin/python ops/drills/cluster.py --duration 120 [--planned] [--logs DIR]
"""

import argparse
import json
import os
import platform
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import freshness
import httpx
import infra
import measure
import traffic

RESULTS = infra.ROOT / "bench" / "results" / "cluster-drill.json"
CENTER = "citemadera-y-del-mueble-lima"  # the demo manager's center: the importers' token
# The importers' token (the demo manager's), and a second manager of the center who
# validates the probe's reports: four eyes, and no TOTP step (that is for ITP's staff).
TOKEN_CODE = (
    "from django.contrib.auth.models import User\n"
    "from citesmart.accounts.actions import create_staff_user\n"
    "from citesmart.accounts.roles import Role\n"
    "from citesmart.api.tokens import create_token\n"
    "from citesmart.network.models import Center\n"
    f"center = Center.objects.get(code='{CENTER}')\n"
    f"create_staff_user(username='{freshness.VALIDATOR[0]}', password='{freshness.VALIDATOR[1]}',"
    " role=Role.CENTER_MANAGER, center=center)\n"
    "user = User.objects.get(username='gestor')\n"
    "print(create_token(center=center, name='simulacro', actor=user)[1])\n"
)


def app_env(work: Path, name: str, database_url: str, proxy_ip: str) -> dict[str, str]:
    """Production settings for one app server (or for the seeding commands)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PG"))}
    env.update(
        DEBUG="0",
        SECRET_KEY="drill-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        API_ALLOW_HTTP_TOKENS="1",  # plain HTTP between the drill's clients and nginx
        DATABASE_URL=database_url,
        PYTHONPATH=str(infra.ROOT / "src"),
        CITESMART_VAR_DIR=str(work / name),
        STATIC_ROOT=str(work / name / "static"),
        MEDIA_ROOT=str(work / "media"),  # shared by the servers, as the guide asks
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
        GUNICORN_ACCESS_LOG="off",
        LOG_LEVEL="WARNING",
        TRUSTED_PROXIES=proxy_ip,
        API_ANON_RATE="100000/min",  # every client of the drill comes from one address
        API_TOKEN_RATE="100000/min",  # noqa: S106 - a rate, not a password
        # Two gunicorns on one host would share $HOME/.gunicorn/gunicorn.ctl.
        GUNICORN_CMD_ARGS="--no-control-socket",
    )
    return env


def failover_url(primary: infra.Postgres, replica: infra.Postgres, host: str) -> str:
    """Both servers; libpq connects to the first that accepts writes."""
    return (
        f"postgres://postgres@/citesmart?host={host},{host}&port={primary.port},{replica.port}"
        "&target_session_attrs=read-write&connect_timeout=3"
    )


def citesmart(env: dict, *args: str) -> str:
    return infra.sh(infra.PYTHON, "-m", "citesmart", *args, env=env, timeout=1800)


def build_database(stack: ExitStack, work: Path, namespaces, args):
    """Primary seeded with data (the demo's, or a copy of `--seed-database`) and a demo API
    token, then the replica from a base backup."""
    pg_root = work / "pg"
    pg_root.mkdir()
    infra.shutil.chown(pg_root, "postgres")
    listen = ",".join(["127.0.0.1", *(ns.host_ip for ns in namespaces)])
    primary = infra.Postgres(pg_root, "primary", 5442)
    replica = infra.Postgres(pg_root, "replica", 5443)
    primary.initdb(
        {"listen_addresses": listen, "wal_level": "replica", "shared_buffers": "128MB",
         "max_connections": "200"},
        infra.trusting_hba(),
    )  # fmt: skip
    primary.start(stack)
    primary.sql("CREATE DATABASE citesmart")
    env = app_env(work, "seed", primary.url("citesmart"), "127.0.0.1")
    started = time.monotonic()
    if args.seed_database:  # e.g. analytics_bench.py --10m's data set, copied whole
        primary.restore(f"postgres://postgres@127.0.0.1:5432/{args.seed_database}", "citesmart",
                        pg_root / "dump")  # fmt: skip
        steps = [["migrate", "-v", "0"], ["create_demo_users"]]
    else:
        history = ["demo_data", "--years", args.years, "--scale", args.scale, "--seed", "3"]
        steps = [["migrate", "-v", "0"], ["load_reference"], ["create_demo_users"], history]
    for step in steps:
        citesmart(env, *step)
    if args.seed_database:
        primary.vacuum_analyze("citesmart")
    token = citesmart(env, "shell", "-c", TOKEN_CODE).strip().splitlines()[-1]
    seeded = round(time.monotonic() - started, 1)
    primary.basebackup_into(replica, "-R")
    replica.configure({"hot_standby": "on"})  # its own port and sockets
    replica.start(stack)
    # Synchronous from now on: a commit is acknowledged once the replica has it on disk. Set
    # on the primary only (postgresql.auto.conf, after the copy): the replica, once promoted,
    # has no standby of its own and must not wait for one.
    primary.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
    primary.sql("SELECT pg_reload_conf()")
    streaming = "SELECT sync_state FROM pg_stat_replication"
    infra.wait_for(lambda: primary.sql(streaming).strip() == "sync", 60, "a synchronous replica")
    return primary, replica, token, seeded


def start_app(stack: ExitStack, work: Path, ns: infra.Namespace, primary, replica, watch: bool):
    """`citesmart serve` in namespace `ns`, its read model built first (its own directory),
    with `citesmart analytics watch` beside it when `watch`."""
    name = f"app-{ns.name}"
    local = app_env(work, name, primary.url("citesmart"), ns.host_ip)
    citesmart(local, "analytics", "rebuild")  # and its warm-up, as a deployment does
    env = app_env(work, name, failover_url(primary, replica, ns.host_ip), ns.host_ip)
    if watch:  # docs/deploy/citesmart-analytics.service and citesmart.env
        env["ANALYTICS_AUTO_REFRESH"] = "0"
        argv = ns.exec(infra.PYTHON, "-m", "citesmart", "analytics", "watch", "--interval", "2")
        # One line per published generation, with where its refresh spent the time.
        infra.start_process(stack, argv, work / f"{name}-watch.log", {**env, "LOG_LEVEL": "INFO"})
    argv = ns.exec(infra.PYTHON, "-m", "citesmart", "serve", "--bind", f"{ns.ip}:8000")
    process = infra.start_process(stack, argv, work / f"{name}.log", env)
    infra.wait_for(lambda: direct(ns, "/").status_code == 200, 180, f"{name} to answer")
    return process


def direct(ns: infra.Namespace, path: str) -> httpx.Response:
    """A request to one app server, not through nginx (Host as nginx sends it)."""
    return httpx.get(f"http://{ns.ip}:8000{path}", headers={"Host": "127.0.0.1"}, timeout=30)


def centers_of(base: str) -> list[str]:
    html = httpx.get(base + "/centros/", timeout=60).text
    codes = {part.split("/")[0] for part in html.split('href="/centros/')[1:]}
    return sorted(c for c in codes if c and c.replace("-", "").isalnum()) or [CENTER]


def run_scenario(base: str, token: str, args, namespaces, primary, replica) -> dict:
    """Load through nginx; kill app server A at 1/4, fail the primary over at 1/2."""
    rec = traffic.Recorder()
    wall_origin = time.time() - rec.now()
    load = traffic.LoadProcesses(base, token, rec, args, centers_of(base), args.load_processes)
    cpu = measure.CpuSampler({os.getpid(), *load.pids()}).start()
    servers = {ns.name: f"http://{ns.ip}:8000" for ns in namespaces}
    interval = args.duration / args.probe_writes
    probe = freshness.Probe(base, token, rec, servers, interval, args.probe_year).start()
    events: dict[str, float] = {}
    loads = [infra.load_average()]
    try:
        time.sleep(args.duration / 4)
        load.check()
        events["app_server_killed_s"] = rec.now()
        probe.dead.add(namespaces[0].name)
        events["processes_killed"] = len(namespaces[0].kill_all())
        time.sleep(args.duration / 4)
        loads.append(infra.load_average())
        events["switch_started_s"] = rec.now()
        if args.planned:  # writes refused (read-only) while the replica catches up, then stop
            primary.sql("ALTER SYSTEM SET default_transaction_read_only = on")
            primary.sql("SELECT pg_reload_conf()")
            time.sleep(args.detect)
            primary.stop("fast")
        else:
            primary.stop("immediate")  # like a crash: no shutdown checkpoint, no goodbye
            time.sleep(args.detect)
        replica.promote()
        events["replica_promoted_s"] = rec.now()
        time.sleep(max(0.0, args.duration - rec.now()))
        loads.append(infra.load_average())
    finally:
        load.finish()
        probed = probe.finish()
    return {"recorder": rec, "events": events, "load_average": loads, "cpu": cpu.finish(),
            "wall_origin": wall_origin, "probed": probed, "validated": probe.validated}  # fmt: skip


def switch_window(rec: traffic.Recorder, events: dict) -> tuple[float, float]:
    """From the primary's stop to the end of the first write acknowledged after promotion."""
    start, promoted = events["switch_started_s"], events["replica_promoted_s"]
    firsts = [s[0] + s[1] for s in rec.samples if s[2] == "import" and s[3] in (200, 201)
              and s[0] >= promoted]  # fmt: skip
    return start, min(firsts, default=promoted)


def phases(args, events: dict, window: tuple[float, float]) -> dict[str, tuple[float, float]]:
    """The run's phases: visitors arriving, two app servers, one, and after the failover."""
    return {
        "ramp": (0.0, args.ramp),
        "two_app_servers": (args.ramp, events["app_server_killed_s"]),
        "one_app_server": (events["app_server_killed_s"], window[0]),
        "after_failover": (window[1], args.duration),
    }


def verify_writes(new_primary: infra.Postgres, acknowledged: list[str]) -> dict:
    present = set(new_primary.sql(
        "SELECT code FROM records_servicereport WHERE code LIKE 'DRILL-%'", "citesmart"
    ).split())  # fmt: skip
    lost = sorted(set(acknowledged) - present)
    return {
        "acknowledged": len(acknowledged),
        "present": len(present & set(acknowledged)),
        "present_not_acknowledged": len(present - set(acknowledged)),
        "lost": lost,
    }


def verify_validations(new_primary: infra.Postgres, acknowledged: list[str]) -> dict:
    """Every validation the probe saw acknowledged is on the new primary, as validated."""
    validated = set(new_primary.sql(
        "SELECT code FROM records_servicereport WHERE code LIKE 'DRILL-PROBE-%' "
        "AND status = 'validado'", "citesmart"
    ).split())  # fmt: skip
    return {"acknowledged": len(acknowledged), "lost": sorted(set(acknowledged) - validated)}


def drill(stack: ExitStack, args) -> dict:
    work = infra.work_dir(stack, "citesmart-cluster")
    if args.logs:  # runs after every process is stopped, before the work dir goes
        stack.callback(infra.keep_logs, work, args.logs)
    namespaces = [infra.make_namespace(stack, "csd-a", 1), infra.make_namespace(stack, "csd-b", 2)]
    primary, replica, token, seeded = build_database(stack, work, namespaces, args)
    for ns in namespaces:
        if args.xfs_gb:  # the server's var directory (read model, caches) on XFS
            infra.xfs_mount(stack, work / f"app-{ns.name}", args.xfs_gb)
        start_app(stack, work, ns, primary, replica, args.watch)
    infra.start_nginx(stack, work, args.port, [f"{ns.ip}:8000" for ns in namespaces])
    base = f"http://127.0.0.1:{args.port}"
    infra.wait_for(lambda: httpx.get(base + "/", timeout=30).status_code == 200, 60, "nginx")
    run = run_scenario(base, token, args, namespaces, primary, replica)
    rec, events = run["recorder"], run["events"]
    window = switch_window(rec, events)
    time.sleep(1.5)  # nginx writes its access log once a second
    at_proxy = sorted(measure.proxy_timings(work / "nginx-access.log", run["wall_origin"]).items())
    survivor_health = direct(namespaces[1], "/salud/").json()
    return {
        "seeding_s": seeded,
        "events": {k: round(v, 2) for k, v in events.items()},
        "switch_window_s": [round(window[0], 2), round(window[1], 2)],
        "switch_seconds": round(window[1] - window[0], 2),
        "load_average": run["load_average"],
        "endpoints": traffic.summarize(rec, window),
        "dashboard_by_phase": traffic.by_phase(rec, "dashboard", phases(args, events, window)),
        "at_proxy": {k: traffic.percentiles(v) | {"requests": len(v)} for k, v in at_proxy},
        "cpu": run["cpu"],
        "commit_to_figure": freshness.summarize(run["probed"], window, events),
        "commit_to_figure_samples": run["probed"],
        "failures_outside_switch": traffic.failures_outside(rec, window),
        "unanswered": rec.errors[:20],
        "writes": verify_writes(replica, rec.acknowledged),
        "validations": verify_validations(replica, run["validated"]),
        "refusals": traffic.refusal_kinds(rec.refusals),
        "refusal_samples": sorted(set(rec.refusals))[:4],
        "refusals_in_spanish": all("intentarlo" in body for body in rec.refusals),
        "survivor_health": survivor_health.get("status"),
        "replica_in_recovery_after": replica.sql("SELECT pg_is_in_recovery()").strip(),
    }


def summary_lines(result: dict) -> list[str]:
    ends = result["endpoints"]
    total = sum(e["requests"] for e in ends.values())
    outside = sum(e["errors_outside_switch"] for e in ends.values())
    inside = sum(e["errors_in_switch"] for e in ends.values())
    writes = result["writes"]
    lines = [f"{'endpoint':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
             f"{'err out':>9}{'err in':>8}  statuses"]  # fmt: skip
    for kind, e in ends.items():
        lines.append(
            f"{kind:<16}{e['requests']:>9}{e.get('p50_ms', 0):>9}{e.get('p95_ms', 0):>9}"
            f"{e.get('max_ms', 0):>9}{e['errors_outside_switch']:>9}{e['errors_in_switch']:>8}"
            f"  {e['statuses']}"
        )
    ev = result["events"]
    lines += [
        f"app server csd-a killed at {ev['app_server_killed_s']} s "
        f"({ev['processes_killed']} processes); primary "
        f"{'frozen read-only, then stopped' if result['run']['planned'] else 'crashed'} at "
        f"{ev['switch_started_s']} s, replica promoted at {ev['replica_promoted_s']} s",
        f"switch window {result['switch_window_s']} s ({result['switch_seconds']} s): "
        f"{inside} requests failed inside it; 503s by kind {result['refusals']}, all in Spanish:"
        f" {result['refusals_in_spanish']}",
        f"requests {total}, errors outside the switch window {outside}; "
        f"dashboard p95 {ends.get('dashboard', {}).get('p95_ms')} ms",
        f"writes acknowledged {writes['acknowledged']}, present {writes['present']}, "
        f"lost {len(writes['lost'])} (present but never acknowledged: "
        f"{writes['present_not_acknowledged']}); validations acknowledged "
        f"{result['validations']['acknowledged']}, lost {len(result['validations']['lost'])}",
        f"load average (1, 5, 15 min) at start / failover / end: {result['load_average']}",
        f"at the proxy (nginx $request_time): dashboard {result['at_proxy'].get('dashboard')}",
        f"dashboard by phase: {result['dashboard_by_phase']}",
        f"validation → every live app server's official figure: {result['commit_to_figure']}",
        f"CPU seconds by role over {result['cpu']['seconds']} s on {result['cpu']['cpus']} "
        f"CPUs ({result['cpu']['cores_busy']} busy): {result['cpu']['cpu_seconds']}",
    ]
    return lines


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds the ExitStack: everything torn down


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120, help="seconds of load")
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--api-readers", type=int, default=3)
    parser.add_argument("--importers", type=int, default=2)
    parser.add_argument(
        "--load-processes", type=int, default=4, help="processes the clients are spread over"
    )
    parser.add_argument("--ramp", type=float, default=30, help="seconds over which visitors arrive")
    parser.add_argument(
        "--think", type=float, nargs=2, default=[0.5, 2.0], metavar=("MIN", "MAX"),
        help="seconds a visitor reads a page (0.5-2: a stress; bench/load.py's visitors: 5 15)",
    )  # fmt: skip
    parser.add_argument(
        "--probe-writes", type=int, default=100,
        help="validations over the run whose commit → public figure is timed on every server",
    )  # fmt: skip
    parser.add_argument("--detect", type=float, default=3, help="seconds before promoting")
    parser.add_argument(
        "--planned", action="store_true",
        help="planned switchover: the primary refuses writes (read-only) before it stops",
    )  # fmt: skip
    parser.add_argument(
        "--no-watch", dest="watch", action="store_false",
        help="no `analytics watch` process: one web worker of each server refreshes",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=18080, help="nginx on 127.0.0.1:PORT")
    parser.add_argument("--years", default="2025", help="demo history (demo_data --years)")
    parser.add_argument("--scale", default="0.05", help="demo history (demo_data --scale)")
    parser.add_argument(
        "--seed-database",
        help="instead of the demo history, a copy of this database of the machine's PostgreSQL"
        " (127.0.0.1:5432), e.g. cs_bench10m (bench/analytics_bench.py --10m --load-only)",
    )
    parser.add_argument(
        "--probe-year", default="2025", help="the year of the probe's reports (seeded data's)"
    )
    parser.add_argument(
        "--xfs-gb", type=int, default=0,
        help="each app server's var directory on an XFS file system of this size (loop device)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--logs", type=Path, help="keep the servers' logs in this directory")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("Run as root: the drill makes network namespaces and PostgreSQL clusters.")
    signal.signal(signal.SIGTERM, _interrupted)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with ExitStack() as stack:
        result = drill(stack, args)
    result = {
        "drill": "cluster",
        "when": started,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "run": {k: v for k, v in vars(args).items() if k not in {"out", "logs"}},
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print("\n".join(summary_lines(result)))
    print(f"written to {args.out}; everything torn down")
    lost = result["writes"]["lost"] or result["validations"]["lost"]
    ok = not lost and all(e["errors_outside_switch"] == 0 for e in result["endpoints"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
