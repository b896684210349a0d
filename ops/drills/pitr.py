#!/usr/bin/env python3
"""Point-in-time recovery drill: WAL archiving and a base backup of a PostgreSQL cluster,
then a restore to the moment between two imports.

Run as root from a checkout (docs/DEPLOYMENT.md, "Drills"). It makes its own PostgreSQL 15
cluster (initdb, port 5444; never the machine's main cluster) with `archive_mode = on` and
an `archive_command` copying each finished WAL segment to an archive directory, seeds it
(migrate, reference data), takes a base backup with pg_basebackup, then:

1. imports file A (`citesmart import`, reports PITR-A-*) and notes the server's clock;
2. imports file B (reports PITR-B-*) and forces the last WAL segment into the archive;
3. restores the base backup into a new data directory (port 5445) with `restore_command`
   reading the archive and `recovery_target_time` = the noted moment, and starts it;
4. shows, on the restored cluster, every report of A present and none of B.

Everything (clusters, directories) is removed at the end, also on failure. Summary printed
and written to bench/results/pitr-drill.json.

    sudo .venv/bin/python ops/drills/pitr.py --reports 50
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

RESULTS = infra.ROOT / "bench" / "results" / "pitr-drill.json"
CENTER = "citeagroindustrial-moquegua"
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


def archived_cluster(stack: ExitStack, work: Path) -> tuple[infra.Postgres, Path]:
    pg_root, archive = work / "pg", work / "pg" / "wal-archive"
    pg_root.mkdir()
    archive.mkdir()
    for path in (pg_root, archive):
        infra.shutil.chown(path, "postgres")
    source = infra.Postgres(pg_root, "source", 5444)
    source.initdb(
        {"listen_addresses": "127.0.0.1", "wal_level": "replica", "archive_mode": "on",
         # Never overwrite a segment already archived (PostgreSQL's documented example).
         "archive_command": f"test ! -f {archive}/%f && cp %p {archive}/%f"},
        infra.trusting_hba(),
    )  # fmt: skip
    source.start(stack)
    source.sql("CREATE DATABASE citesmart")
    return source, archive


def import_reports(env: dict, work: Path, prefix: str, reports: int) -> str:
    path = work / f"{prefix}.csv"
    citesmart(env, "shell", "-c", WRITE_FILE.format(path=str(path), reports=reports, prefix=prefix))
    return citesmart(env, "import", str(path), "--center", CENTER).strip().splitlines()[-1]


def count(cluster: infra.Postgres, prefix: str) -> int:
    query = f"SELECT count(*) FROM records_servicereport WHERE code LIKE '{prefix}-%'"  # noqa: S608
    return int(cluster.sql(query, "citesmart").strip())


def archive_everything(source: infra.Postgres) -> str:
    """Close the current WAL segment and wait until the archiver has copied it."""
    segment = source.sql("SELECT pg_walfile_name(pg_switch_wal())").strip()
    infra.wait_for(
        lambda: source.sql("SELECT last_archived_wal FROM pg_stat_archiver").strip() >= segment,
        120,
        f"WAL segment {segment} in the archive",
    )
    return segment


def restore_to(stack, base: Path, archive: Path, target: str, pg_root: Path) -> infra.Postgres:
    """The base backup, replayed from the archive up to `target`, then opened for writes."""
    restored = infra.Postgres(pg_root, "restored", 5445)
    infra.sh("cp", "-a", str(base), str(restored.datadir))
    restored.configure(
        {"restore_command": f"cp {archive}/%f %p", "recovery_target_time": target,
         "recovery_target_action": "promote", "archive_mode": "off"}
    )  # fmt: skip
    (restored.datadir / "recovery.signal").touch()
    infra.shutil.chown(restored.datadir / "recovery.signal", "postgres")
    restored.start(stack)
    infra.wait_for(
        lambda: restored.sql("SELECT pg_is_in_recovery()").strip() == "f", 120, "end of recovery"
    )
    return restored


def drill(stack: ExitStack, args) -> dict:
    work = infra.work_dir(stack, "citesmart-pitr")
    source, archive = archived_cluster(stack, work)
    env = env_for(work, source.url("citesmart"))
    started = time.monotonic()
    citesmart(env, "migrate", "-v", "0")
    citesmart(env, "load_reference")
    base = source.root / "base-backup"
    source.basebackup_into(infra.Postgres(source.root, "base-backup", 0))
    timings = {"seed_and_base_backup_s": round(time.monotonic() - started, 1)}
    said_a = import_reports(env, work, "PITR-A", args.reports)
    time.sleep(1)
    target = source.sql("SELECT clock_timestamp()").strip()  # the server's own clock
    time.sleep(1)
    said_b = import_reports(env, work, "PITR-B", args.reports)
    before = {"A": count(source, "PITR-A"), "B": count(source, "PITR-B")}
    segment = archive_everything(source)
    source.stop("fast")  # the restore must owe nothing to the running cluster
    started = time.monotonic()
    restored = restore_to(stack, base, archive, target, source.root)
    timings["restore_s"] = round(time.monotonic() - started, 1)
    after = {"A": count(restored, "PITR-A"), "B": count(restored, "PITR-B")}
    return {
        "recovery_target_time": target,
        "imports": {"A": said_a, "B": said_b},
        "source_counts": before,
        "restored_counts": after,
        "last_archived_segment": segment,
        "archived_segments": len(list(archive.glob("0*"))),
        "restored_log_tail": (source.root / "restored.log").read_text()[-1500:],
        "timings": timings,
        "load_average": infra.load_average(),
        "ok": after == {"A": before["A"], "B": 0} and before["B"] == args.reports,
    }


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds the ExitStack: everything torn down


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50, help="reports in each import")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("Run as root: the drill makes its own PostgreSQL cluster.")
    signal.signal(signal.SIGTERM, _interrupted)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with ExitStack() as stack:
        result = drill(stack, args)
    result = {"drill": "pitr", "when": started,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              **result}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    recovered = [line for line in result["restored_log_tail"].splitlines() if "recovery" in line]
    print("\n".join(recovered[-3:]))
    print(f"import A: {result['imports']['A']}\nimport B: {result['imports']['B']}")
    print(f"recovery target time {result['recovery_target_time']} (between A and B)")
    before, after = result["source_counts"], result["restored_counts"]
    print(f"source cluster: A {before['A']} reports, B {before['B']}")
    verdict = "OK" if result["ok"] else "FAILED"
    print(f"restored cluster: A {after['A']} reports, B {after['B']} -> {verdict}")
    print(f"timings {result['timings']}, load average {result['load_average']}; "
          f"written to {args.out}; everything torn down")  # fmt: skip
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
