"""Reading the system of record (SQLite or PostgreSQL) for the read model, in Arrow batches.

The SQL side stays narrow: ids, codes and values only; names and the ubigeo hierarchy are
joined inside DuckDB from small dimension tables (see schema.py). PostgreSQL streams through
COPY ... TO STDOUT (CSV) into pyarrow's streaming CSV reader; SQLite is fetched in batches.
Either way DuckDB receives whole Arrow batches, never single rows.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

import io
import itertools
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connection

from citesmart.lib.identity import RUC_PREFIXES, DocumentType, is_personal_document
from citesmart.records.models import ReportStatus, Service, ServiceReport
from citesmart.units.models import ClientType, ProductiveUnit

BATCH_ROWS = 100_000
IDS_PER_QUERY = 5_000

# (column, Arrow type) of one raw fact row, in SELECT order. Everything is an integer or text
# so that one statement reads the same on both databases; DuckDB casts on insert.
RAW_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("service_id", pa.int64()),
    ("report_id", pa.int64()),
    ("date", pa.string()),
    ("status", pa.string()),
    ("is_free", pa.int64()),
    ("amount", pa.string()),
    ("center_id", pa.int64()),
    ("chain_id", pa.int64()),
    ("category_id", pa.int64()),
    ("catalogue_service_id", pa.int64()),
    ("programme_id", pa.int64()),
    ("raw_unit_id", pa.int64()),
    ("unit_id", pa.int64()),
    ("client_type", pa.string()),
    ("size_class", pa.string()),
    ("is_natural", pa.int64()),
    ("unit_district_code", pa.string()),
    ("unit_department_code", pa.string()),
    ("delivery_district_code", pa.string()),
]
RAW_SCHEMA = pa.schema(RAW_COLUMNS)


# Client types that are individuals whatever document they were registered with.
NATURAL_PERSON_CLIENT_TYPES = (ClientType.NATURAL_PERSON_BUSINESS, ClientType.ENTREPRENEUR)


def _natural_person_sql(unit: str) -> str:
    """1 when the unit is a natural person (its figures could single someone out), else 0.

    The same rule as ProductiveUnit.is_natural_person, widened by the client type; the
    personal documents and RUC prefixes come from lib.identity.is_personal_document, so
    the two never disagree. A unit without document counts as a person (informal producer).
    """
    kinds = [d.value for d in DocumentType if d is not DocumentType.RUC]
    personal = [k for k in kinds if is_personal_document(k, "") or k == DocumentType.NONE]
    prefixes = [p for p in RUC_PREFIXES if is_personal_document(DocumentType.RUC, p + "0" * 9)]
    quoted = ", ".join(f"'{v}'" for v in personal)
    ruc_prefixes = ", ".join(f"'{p}'" for p in prefixes)
    types = ", ".join(f"'{t.value}'" for t in NATURAL_PERSON_CLIENT_TYPES)
    return (
        f"CASE WHEN {unit}.person_dni <> '' OR {unit}.document_type IN ({quoted})"
        f" OR ({unit}.document_type = '{DocumentType.RUC.value}'"
        f" AND substr({unit}.document_number, 1, 2) IN ({ruc_prefixes}))"
        f" OR {unit}.client_type IN ({types}) THEN 1 ELSE 0 END"
    )


def _fact_sql(where: str) -> str:
    # The survivor of a merge stands for the unit (one level: merge_units moves the services,
    # so a service pointing at a merged unit is already the exception).
    service, report = Service._meta.db_table, ServiceReport._meta.db_table
    unit = ProductiveUnit._meta.db_table
    return f"""
        SELECT s.id, s.report_id, CAST(r.end_date AS TEXT), r.status,
               CASE WHEN r.is_free THEN 1 ELSE 0 END, CAST(s.amount AS TEXT),
               r.center_id, r.chain_id, r.category_id, r.catalogue_service_id, r.programme_id,
               s.unit_id, su.id, su.client_type, su.size_class, {_natural_person_sql("su")},
               su.district_id,
               su.department_id, r.delivery_district_id
        FROM {service} s
        JOIN {report} r ON r.id = s.report_id
        JOIN {unit} u ON u.id = s.unit_id
        JOIN {unit} su ON su.id = COALESCE(u.merged_into_id, u.id)
        WHERE r.status <> '{ReportStatus.CANCELLED.value}' {where}
    """


def fact_batches(report_ids: Sequence[int] | None = None) -> Iterator[pa.Table]:
    """Raw fact rows (cancelled reports left out): all of them, or those of `report_ids`."""
    if report_ids is None:
        yield from _read(_fact_sql(""), ())
        return
    ids = sorted(set(report_ids))
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[start : start + IDS_PER_QUERY]
        marks = ", ".join(["%s"] * len(chunk))
        yield from _read(_fact_sql(f"AND s.report_id IN ({marks})"), chunk)


# A full rebuild reads the three tables apart, narrow and unjoined, and joins them inside
# DuckDB (schema.RAW_VIEW_SQL): at 1M services PostgreSQL took 4.8 s to COPY out the joined
# rows (95 MB of CSV) against 2 s for the three tables, and the CSV to parse shrank 3x.
# Each entry: table, extra condition, [(SQL expression, column, Arrow type)].
_Read = tuple[str, str, list[tuple[str, str, pa.DataType]]]
TABLE_READS: dict[str, _Read] = {
    "raw_services": (
        Service._meta.db_table,
        "",
        [
            ("id", "service_id", pa.int64()),
            ("report_id", "report_id", pa.int64()),
            ("unit_id", "raw_unit_id", pa.int64()),
            ("CAST(amount AS TEXT)", "amount", pa.string()),
        ],
    ),
    "raw_reports": (
        ServiceReport._meta.db_table,
        f"status <> '{ReportStatus.CANCELLED.value}'",
        [
            ("id", "report_id", pa.int64()),
            ("CAST(end_date AS TEXT)", "date", pa.string()),
            ("status", "status", pa.string()),
            ("CASE WHEN is_free THEN 1 ELSE 0 END", "is_free", pa.int64()),
            ("center_id", "center_id", pa.int64()),
            ("chain_id", "chain_id", pa.int64()),
            ("category_id", "category_id", pa.int64()),
            ("catalogue_service_id", "catalogue_service_id", pa.int64()),
            ("programme_id", "programme_id", pa.int64()),
            ("delivery_district_id", "delivery_district_code", pa.string()),
        ],
    ),
    "raw_units": (
        ProductiveUnit._meta.db_table,
        "",
        [
            ("id", "raw_unit_id", pa.int64()),
            ("COALESCE(merged_into_id, id)", "unit_id", pa.int64()),
            ("client_type", "client_type", pa.string()),
            ("size_class", "size_class", pa.string()),
            (_natural_person_sql(ProductiveUnit._meta.db_table), "is_natural", pa.int64()),
            ("district_id", "unit_district_code", pa.string()),
            ("department_id", "unit_department_code", pa.string()),
        ],
    ),
}
IDS_PER_RANGE = 500_000


def table_columns(name: str) -> list[tuple[str, pa.DataType]]:
    return [(column, kind) for _, column, kind in TABLE_READS[name][2]]


def table_batches(name: str) -> Iterator[pa.Table]:
    """All rows of one of TABLE_READS, in Arrow batches (full rebuilds)."""
    table, condition, fields = TABLE_READS[name]
    columns = table_columns(name)
    if connection.vendor != "postgresql":
        where = f" WHERE {condition}" if condition else ""
        sql = f"SELECT {', '.join(e for e, _, _ in fields)} FROM {table}{where}"
        yield from _read(sql, (), columns)
        return
    yield from _ranged_csv(table, condition, fields, columns)


def _ranged_csv(
    table: str,
    condition: str,
    fields: list[tuple[str, str, pa.DataType]],
    columns: list[tuple[str, pa.DataType]],
) -> Iterator[pa.Table]:
    """PostgreSQL: each range of ids as ONE text value of CSV lines, two ranges in flight.

    COPY TO STDOUT hands every row to Python separately (~1.2 µs a row in psycopg: 12 s at
    10M services before any parsing); string_agg over an id range of the primary key makes
    PostgreSQL build the CSV and Python receive one value per 500,000 rows, parsed by
    Arrow's C++ reader. A second connection prepares the next range meanwhile.

    The ranges are read in separate transactions. That is safe because the rebuild reads
    the watermark first: any report or unit written meanwhile has a newer `updated_at`, so
    the next refresh reloads every report it touches (half-seen joins included).
    """
    lines = " || ',' || ".join(_csv_field(expression, kind) for expression, _, kind in fields)
    extra = f" AND {condition}" if condition else ""
    sql = f"SELECT string_agg({lines}, E'\\n') FROM {table} WHERE id >= %s AND id < %s{extra}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {table}")
        low, high = cursor.fetchone()
    if low is None:
        return
    ranges = [(start, start + IDS_PER_RANGE) for start in range(low, high + 1, IDS_PER_RANGE)]
    if connection.in_atomic_block:
        # Inside a transaction (a caller's atomic block, a test) other connections would not
        # see its uncommitted rows: read on this connection, one range after the other.
        for bounds in ranges:
            with connection.cursor() as cursor:
                cursor.execute(sql, bounds)
                text = cursor.fetchone()[0]
            if text:
                yield _parse_csv(text.encode(), columns)
        return
    for text in _fetch_ahead(sql, ranges):
        if text:
            yield _parse_csv(text.encode(), columns)


def _fetch_ahead(sql: str, ranges: list[tuple[int, int]]) -> Iterator[str | None]:
    """The CSV text of each range of ids, in order, on two new connections: the next
    range is read while the caller parses this one."""
    params = connection.get_connection_params()
    with ThreadPoolExecutor(max_workers=2) as pool:
        local = threading.local()

        def fetch(bounds: tuple[int, int]) -> str | None:
            if not hasattr(local, "db"):
                local.db = connection.get_new_connection(params)
                opened.append(local.db)
            return local.db.execute(sql, bounds).fetchone()[0]

        opened: list[Any] = []
        try:
            pending = [pool.submit(fetch, r) for r in ranges[:2]]
            for index in range(len(ranges)):
                text = pending[index].result()
                if index + 2 < len(ranges):
                    pending.append(pool.submit(fetch, ranges[index + 2]))
                yield text
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
            for db in opened:
                db.close()


def tables_of_reports(report_ids: Iterable[int]) -> dict[str, pa.Table]:
    """The rows of TABLE_READS behind these reports (an incremental refresh).

    Their uncancelled reports, those reports' services, and the units the services attend
    plus the survivors those were merged into: each read goes by primary key or by the
    services' report index, like the rebuild's three tables joined in DuckDB
    (schema.RAW_VIEW_SQL), rather than one joined query: PostgreSQL estimated a few
    thousand report ids at ~100,000 rows and hash-joined whole tables (2 s at 10M services,
    where the indexed reads take a few hundred milliseconds). Read one after the other:
    the watermark was read first, so a report or unit written in between is reloaded by
    the next refresh (as for the rebuild's ranges).
    """
    reports = _table_by("raw_reports", "id", sorted(set(report_ids)))
    found = reports.column("report_id").to_pylist()
    services = _table_by("raw_services", "report_id", found)
    raw_units = set(services.column("raw_unit_id").to_pylist())
    units = _table_by("raw_units", "id", sorted(raw_units))
    survivors = set(units.column("unit_id").to_pylist()) - raw_units
    if survivors:
        units = pa.concat_tables([units, _table_by("raw_units", "id", sorted(survivors))])
    return {"raw_reports": reports, "raw_services": services, "raw_units": units}


def _table_by(name: str, key: str, ids: Sequence[int]) -> pa.Table:
    """Rows of one of TABLE_READS whose `key` is one of `ids`, as one Arrow table."""
    table, condition, fields = TABLE_READS[name]
    columns = table_columns(name)
    select = f"SELECT {', '.join(e for e, _, _ in fields)} FROM {table} WHERE "
    select += f"{condition} AND " if condition else ""
    batches = []
    if connection.vendor == "postgresql":  # one array parameter: one statement, no chunks
        if ids:
            batches += _read(f"{select}{key} = ANY(%s)", [list(ids)], columns)
    else:
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            marks = ", ".join(["%s"] * len(chunk))
            batches += _read(f"{select}{key} IN ({marks})", chunk, columns)
    schema = pa.schema(columns)
    return pa.Table.from_batches(
        [b for t in batches for b in t.cast(schema).to_batches()], schema=schema
    )


def _csv_field(expression: str, kind: pa.DataType) -> str:
    # NULL -> empty (unquoted); text is quoted, so an empty string stays an empty string.
    if kind == pa.string():
        return (
            f"CASE WHEN ({expression}) IS NULL THEN '' "
            f"ELSE '\"' || replace(({expression})::text, '\"', '\"\"') || '\"' END"
        )
    return f"COALESCE(({expression})::text, '')"


def _parse_csv(data: bytes, columns: list[tuple[str, pa.DataType]]) -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=[name for name, _ in columns]),
        convert_options=_convert_options(columns),
    )


def _convert_options(columns: list[tuple[str, pa.DataType]]) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(
        column_types=dict(columns),
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )


def _read(
    sql: str, params: Sequence[Any], columns: list[tuple[str, pa.DataType]] = RAW_COLUMNS
) -> Iterator[pa.Table]:
    if connection.vendor == "postgresql":
        yield from _copy_batches(sql, params, columns)
        return
    schema = pa.schema(columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH_ROWS):
            values = zip(*rows, strict=True)
            arrays = [pa.array(v, type=t) for v, (_, t) in zip(values, columns, strict=True)]
            yield pa.table(arrays, schema=schema)


def _copy_batches(
    sql: str, params: Sequence[Any], columns: list[tuple[str, pa.DataType]]
) -> Iterator[pa.Table]:
    connection.ensure_connection()
    raw = connection.connection  # psycopg 3: COPY binds parameters on the client side
    statement = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(statement, params) as copy:
        chunks = (bytes(chunk) for chunk in copy)
        first = next(chunks, b"")
        if not first:
            return  # pyarrow refuses an empty CSV stream
        reader = pacsv.open_csv(
            _ChunkStream(itertools.chain([first], chunks)),
            read_options=pacsv.ReadOptions(
                column_names=[name for name, _ in columns],
                block_size=16 << 20,
                use_threads=False,
            ),
            convert_options=_convert_options(columns),
        )
        schema = pa.schema(columns)
        for batch in reader:
            yield pa.Table.from_batches([batch], schema=schema)


class _ChunkStream(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (COPY output for pyarrow)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Fill the whole buffer: COPY yields one small chunk per row, and pyarrow makes one
        # record batch per read, so short reads would mean one-row batches. The rows are
        # gathered in a list and joined once: per-row slicing cost ~1 µs a row (10 s at 10M).
        view = memoryview(buffer).cast("B")
        parts, size = [self._pending], len(self._pending)
        append, chunks = parts.append, self._chunks
        while size < len(view):
            chunk = next(chunks, None)
            if chunk is None:
                break
            append(chunk)
            size += len(chunk)
        data = b"".join(parts)
        filled = min(len(view), len(data))
        view[:filled] = data[:filled]
        self._pending = data[filled:]
        return filled


def reports_touching_units(unit_ids: Iterable[int]) -> set[int]:
    """Reports that now attend one of these units or one merged into them."""
    found: set[int] = set()
    ids = sorted(set(unit_ids))
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[start : start + IDS_PER_QUERY]
        found.update(Service.objects.filter(unit_id__in=chunk).values_list("report_id", flat=True))
        found.update(
            Service.objects.filter(unit__merged_into_id__in=chunk).values_list(
                "report_id", flat=True
            )
        )
    return found
