#!/usr/bin/env python3
"""Point-in-time recovery drill: WAL archiving and a full backup of a PostgreSQL cluster with
pgBackRest, then a restore to the moment between two imports.

Run as root from a checkout (docs/DEPLOYMENT.md §7.2), with Debian's `pgbackrest` installed.
It makes its own PostgreSQL 15 cluster (initdb, port 5444; never the machine's main cluster)
and its own pgBackRest configuration, repository, logs and locks under the work directory
(never /etc/pgbackrest.conf nor /var/lib/pgbackrest), with
`archive_command = 'pgbackrest --config=… --stanza=citesmart archive-push %p'`; runs
`stanza-create` and `check`, seeds the database (migrate, reference data), takes
`backup --type=full`, then:

1. imports file A (`citesmart import`, reports PITR-A-*) and notes the server's clock;
2. imports file B (reports PITR-B-*) and forces the last WAL segment into the repository;
3. stops the source cluster and runs `pgbackrest restore --type=time --target=<the moment>
   --target-action=promote` into a new data directory, started on port 5445;
4. shows, on the restored cluster, every report of A present and none of B.

`--method walcopy` does the same with PostgreSQL's own tools only (a `cp` archive_command,
pg_basebackup, restore_command = cp). Everything (clusters, repository, directories) is
removed at the end, also on failure or interruption. Summary printed and written to
bench/results/pitr-drill.json (walcopy: pitr-drill-walcopy.json).

    sudo .venv/bin/python ops/drills/pitr.py --reports 50
    sudo .venv/bin/python ops/drills/pitr.py --reports 50 --method walcopy
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

import infra

RESULTS = infra.ROOT / "bench" / "results"
CENTER = "citeagroindustrial-moquegua"
STANZA = "citesmart"
WRITE_FILE = (  # the fault tests' valid import file: one unit per report, real RUCs
    "from pathlib import Path; from tests.ops.world import write_import\n"
    "write_import(Path({path!r}), {reports}, prefix={prefix!r})\n"
)


def env_for(work: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PG"))}
    env.update(
        DEBUG="0",
        SECRET_KEY="drill-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        PYTHONPATH=f"{infra.ROOT / 'src'}:{infra.ROOT}",
        CITESMART_VAR_DIR=str(work / "var"),
        MEDIA_ROOT=str(work / "var" / "media"),
        LOG_LEVEL="WARNING",
    )
    return env


def citesmart(env: dict, *args: str) -> str:
    return infra.sh(infra.PYTHON, "-m", "citesmart", *args, env=env, timeout=1800)


def postgres_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    infra.shutil.chown(path, "postgres")
    return path


class PgBackRest:
    """WAL archive and backups in a pgBackRest repository private to the drill."""

    name = "pgbackrest"

    def __init__(self, pg_root: Path):
        self.home = pg_root / "pgbackrest"
        self.conf = self.home / "pgbackrest.conf"
        self.repo = self.home / "repo"
        self.commands: list[str] = []
        self.recovery_settings: list[str] = []

    def prepare(self, source: infra.Postgres) -> None:
        for sub in ("repo", "log", "lock", "spool"):
            postgres_dir(self.home / sub)
        # The production recipe of docs/DEPLOYMENT.md §2, with every path under the drill's
        # directory; one repository, a full backup kept (the drill needs no more).
        self.conf.write_text(
            "[global]\n"
            f"repo1-path={self.repo}\n"
            "repo1-retention-full=1\n"
            f"log-path={self.home / 'log'}\nlock-path={self.home / 'lock'}\n"
            f"spool-path={self.home / 'spool'}\n"
            "log-level-console=warn\nlog-level-file=detail\n"
            "compress-type=zst\nstart-fast=y\nprocess-max=2\n"
            f"\n[{STANZA}]\n"
            f"pg1-path={source.datadir}\npg1-port={source.port}\n"
            f"pg1-socket-path={source.sockets}\npg1-user=postgres\n"
        )
        infra.shutil.chown(self.conf, "postgres")

    def archive_command(self) -> str:
        return f"pgbackrest --config={self.conf} --stanza={STANZA} archive-push %p"

    def run(self, command: str, *options: str) -> str:
        argv = ["pgbackrest", f"--config={self.conf}", f"--stanza={STANZA}", *options, command]
        self.commands.append(" ".join(argv))
        return infra.as_postgres(*argv, timeout=900)

    def started(self, source: infra.Postgres) -> None:
        self.run("stanza-create")
        self.run("check")  # archive_command works: a WAL segment pushed and found

    def base_backup(self, source: infra.Postgres) -> None:
        self.run("backup", "--type=full")

    def restore(self, restored: infra.Postgres, target: str) -> None:
        postgres_dir(restored.datadir).chmod(0o700)
        self.run("restore", f"--pg1-path={restored.datadir}", "--type=time",
                 f"--target={target}", "--target-action=promote")  # fmt: skip
        # pgBackRest wrote restore_command and the target into postgresql.auto.conf. The copy
        # must not push its own WAL into the source's stanza: archiving off on the copy.
        restored.configure({"archive_mode": "off"})
        auto = (restored.datadir / "postgresql.auto.conf").read_text().splitlines()
        self.recovery_settings = [line for line in auto if line and not line.startswith("#")]

    def describe(self) -> dict:
        info = json.loads(self.run("info", "--output=json"))[0]
        backups = [
            {"label": b["label"], "type": b["type"],
             "seconds": b["timestamp"]["stop"] - b["timestamp"]["start"],
             "database_bytes": b["info"]["size"],
             "repository_bytes": b["info"]["repository"]["size"],
             "wal_start": b["archive"]["start"], "wal_stop": b["archive"]["stop"]}
            for b in info["backup"]
        ]  # fmt: skip
        archive = [{"min": a["min"], "max": a["max"]} for a in info["archive"]]
        version = infra.sh("pgbackrest", "version").strip()
        return {"version": version, "status": info["status"]["message"], "backups": backups,
                "archive": archive, "commands": self.commands,
                "recovery_settings_written_by_restore": self.recovery_settings}  # fmt: skip


class WalCopy:
    """PostgreSQL's own tools: `cp` into an archive directory, pg_basebackup, `cp` back."""

    name = "walcopy"

    def __init__(self, pg_root: Path):
        self.archive = pg_root / "wal-archive"
        self.base = infra.Postgres(pg_root, "base-backup", 0)

    def prepare(self, source: infra.Postgres) -> None:
        postgres_dir(self.archive)

    def archive_command(self) -> str:
        # Never overwrite a segment already archived (PostgreSQL's documented example).
        return f"test ! -f {self.archive}/%f && cp %p {self.archive}/%f"

    def started(self, source: infra.Postgres) -> None:
        pass

    def base_backup(self, source: infra.Postgres) -> None:
        source.basebackup_into(self.base)

    def restore(self, restored: infra.Postgres, target: str) -> None:
        infra.sh("cp", "-a", str(self.base.datadir), str(restored.datadir))
        restored.configure(
            {"restore_command": f"cp {self.archive}/%f %p", "recovery_target_time": target,
             "recovery_target_action": "promote", "archive_mode": "off"}
        )  # fmt: skip
        (restored.datadir / "recovery.signal").touch()
        infra.shutil.chown(restored.datadir / "recovery.signal", "postgres")

    def describe(self) -> dict:
        return {"archived_segments": len(list(self.archive.glob("0*")))}


METHODS = {"pgbackrest": PgBackRest, "walcopy": WalCopy}


def archived_cluster(stack: ExitStack, pg_root: Path, method) -> infra.Postgres:
    source = infra.Postgres(pg_root, "source", 5444)
    method.prepare(source)
    source.initdb(
        {"listen_addresses": "127.0.0.1", "wal_level": "replica", "archive_mode": "on",
         "archive_command": method.archive_command()},
        infra.trusting_hba(),
    )  # fmt: skip
    source.start(stack)
    method.started(source)
    source.sql("CREATE DATABASE citesmart")
    return source


def import_reports(env: dict, work: Path, prefix: str, reports: int) -> str:
    path = work / f"{prefix}.csv"
    citesmart(env, "shell", "-c", WRITE_FILE.format(path=str(path), reports=reports, prefix=prefix))
    return citesmart(env, "import", str(path), "--center", CENTER).strip().splitlines()[-1]


def count(cluster: infra.Postgres, prefix: str) -> int:
    query = f"SELECT count(*) FROM records_servicereport WHERE code LIKE '{prefix}-%'"  # noqa: S608
    return int(cluster.sql(query, "citesmart").strip())


def archive_everything(source: infra.Postgres) -> str:
    """Close the current WAL segment and wait until the archiver has pushed it."""
    segment = source.sql("SELECT pg_walfile_name(pg_switch_wal())").strip()
    infra.wait_for(
        lambda: source.sql("SELECT last_archived_wal FROM pg_stat_archiver").strip() >= segment,
        120,
        f"WAL segment {segment} in the archive",
    )
    return segment


def restore_to(stack, method, target: str, pg_root: Path) -> infra.Postgres:
    """The base backup, replayed from the archive up to `target`, then opened for writes."""
    restored = infra.Postgres(pg_root, "restored", 5445)
    method.restore(restored, target)
    restored.start(stack)
    infra.wait_for(
        lambda: restored.sql("SELECT pg_is_in_recovery()").strip() == "f", 120, "end of recovery"
    )
    return restored


def drill(stack: ExitStack, args) -> dict:
    work = infra.work_dir(stack, "citesmart-pitr")
    pg_root = postgres_dir(work / "pg")
    method = METHODS[args.method](pg_root)
    started = time.monotonic()
    source = archived_cluster(stack, pg_root, method)
    env = env_for(work, source.url("citesmart"))
    citesmart(env, "migrate", "-v", "0")
    citesmart(env, "load_reference")
    timings = {"cluster_and_seed_s": round(time.monotonic() - started, 1)}
    started = time.monotonic()
    method.base_backup(source)
    timings["base_backup_s"] = round(time.monotonic() - started, 1)
    said_a = import_reports(env, work, "PITR-A", args.reports)
    time.sleep(1)
    target = source.sql("SELECT clock_timestamp()").strip()  # the server's own clock
    time.sleep(1)
    said_b = import_reports(env, work, "PITR-B", args.reports)
    before = {"A": count(source, "PITR-A"), "B": count(source, "PITR-B")}
    segment = archive_everything(source)
    source.stop("fast")  # the restore must owe nothing to the running cluster
    started = time.monotonic()
    restored = restore_to(stack, method, target, pg_root)
    timings["restore_s"] = round(time.monotonic() - started, 1)
    after = {"A": count(restored, "PITR-A"), "B": count(restored, "PITR-B")}
    return {
        "method": method.name,
        "recovery_target_time": target,
        "imports": {"A": said_a, "B": said_b},
        "source_counts": before,
        "restored_counts": after,
        "last_archived_segment": segment,
        method.name: method.describe(),
        "restored_log_tail": (pg_root / "restored.log").read_text()[-1500:],
        "timings": timings,
        "load_average": infra.load_average(),
        "ok": after == {"A": before["A"], "B": 0} and before["B"] == args.reports,
    }


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds the ExitStack: everything torn down


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50, help="reports in each import")
    parser.add_argument("--method", choices=sorted(METHODS), default="pgbackrest")
    parser.add_argument("--out", type=Path, help="default: bench/results/pitr-drill[-walcopy].json")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("Run as root: the drill makes its own PostgreSQL cluster.")
    if args.method == "pgbackrest" and not infra.shutil.which("pgbackrest"):
        sys.exit("pgbackrest is not installed: apt-get install pgbackrest (or --method walcopy).")
    out = args.out or RESULTS / ("pitr-drill.json" if args.method == "pgbackrest"
                                 else f"pitr-drill-{args.method}.json")  # fmt: skip
    signal.signal(signal.SIGTERM, _interrupted)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with ExitStack() as stack:
        result = drill(stack, args)
    result = {"drill": "pitr", "when": started,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              **result}  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    report(result, out)
    return 0 if result["ok"] else 1


def report(result: dict, out: Path) -> None:
    recovered = [line for line in result["restored_log_tail"].splitlines() if "recovery" in line]
    print("\n".join(recovered[-3:]))
    if result["method"] == "pgbackrest":
        print("\n".join(result["pgbackrest"]["commands"]))
    print(f"import A: {result['imports']['A']}\nimport B: {result['imports']['B']}")
    print(f"recovery target time {result['recovery_target_time']} (between A and B)")
    before, after = result["source_counts"], result["restored_counts"]
    print(f"source cluster: A {before['A']} reports, B {before['B']}")
    verdict = "OK" if result["ok"] else "FAILED"
    print(f"restored cluster: A {after['A']} reports, B {after['B']} -> {verdict}")
    print(f"method {result['method']}, timings {result['timings']}, load average "
          f"{result['load_average']}; written to {out}; everything torn down")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
