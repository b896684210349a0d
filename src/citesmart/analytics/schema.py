"""The DuckDB schema of the read model: one fact row per service, plus small dimensions.

The fact table is denormalised on purpose: every code and name a query filters or groups by
sits on the row, so a dashboard query is a single scan with no join. The dimension tables
are kept alongside to validate codes and to rewrite names when the registry changes.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

import duckdb
import pyarrow as pa

from citesmart.analytics.recordkey import NATURAL_BIT, record_key_sql

VERSION = "12"  # bump when the tables change: the next refresh then rebuilds from scratch

DIMENSIONS_DDL = {
    "dim_center": "id BIGINT, code VARCHAR, name VARCHAR, kind VARCHAR, cite_code VARCHAR, "
    "cite_name VARCHAR",
    "dim_chain": "id BIGINT, code VARCHAR, name VARCHAR",
    "dim_category": "id BIGINT, code VARCHAR, name VARCHAR",
    "dim_programme": "id BIGINT, code VARCHAR, name VARCHAR",
    "dim_catalogue": "id BIGINT, name VARCHAR, center_code VARCHAR",
    "dim_department": "code VARCHAR, name VARCHAR",
    "dim_province": "code VARCHAR, name VARCHAR, department_code VARCHAR",
    "dim_district": "code VARCHAR, name VARCHAR, province_code VARCHAR, province_name VARCHAR, "
    "department_code VARCHAR, department_name VARCHAR",
    "dim_client_type": "code VARCHAR, name VARCHAR",
    "dim_size_class": "code VARCHAR, name VARCHAR",
    "dim_center_kind": "code VARCHAR, name VARCHAR",
}

FACTS_DDL = """
CREATE TABLE {name} (
    service_id BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    date DATE NOT NULL,                 -- the report's end date (docs/COUNTING.md)
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,             -- 1..12
    year_month VARCHAR NOT NULL,        -- 'YYYY-MM'
    status VARCHAR NOT NULL,            -- 'validado' | 'registrado' (cancelled never loaded)
    is_validated BOOLEAN NOT NULL,      -- status = 'validado', what counts by default
    is_free BOOLEAN NOT NULL,
    amount DECIMAL(14, 2) NOT NULL,
    center_id BIGINT NOT NULL,
    center_code VARCHAR NOT NULL,
    center_name VARCHAR NOT NULL,
    center_kind VARCHAR NOT NULL,
    cite_code VARCHAR NOT NULL,         -- the CITE: the parent of a technical unit, or itself
    cite_name VARCHAR NOT NULL,
    chain_id BIGINT,
    chain_code VARCHAR,
    chain_name VARCHAR,
    category_id BIGINT NOT NULL,
    category_code VARCHAR NOT NULL,
    category_name VARCHAR NOT NULL,
    catalogue_service_id BIGINT,
    catalogue_service_name VARCHAR,
    programme_id BIGINT,
    programme_code VARCHAR,
    programme_name VARCHAR,
    raw_unit_id BIGINT NOT NULL,        -- the unit the service row points at
    unit_id BIGINT NOT NULL,            -- its survivor after merges: what counts
    client_type VARCHAR,
    client_type_name VARCHAR,
    size_class VARCHAR,
    size_class_name VARCHAR,
    is_natural BOOLEAN NOT NULL,        -- the unit is a natural person (disclosure control)
    unit_district_code VARCHAR,
    unit_district_name VARCHAR,
    unit_province_code VARCHAR,
    unit_province_name VARCHAR,
    unit_department_code VARCHAR,
    unit_department_name VARCHAR,
    delivery_district_code VARCHAR,
    delivery_district_name VARCHAR,
    delivery_department_code VARCHAR,
    delivery_department_name VARCHAR,
    first_date_validated DATE,          -- the unit's first validated service in the network
    first_date_counted DATE,            -- ... counting registered reports too
    first_ym_validated INTEGER,         -- year * 100 + month of first_date_validated
    first_ym_counted INTEGER,           -- ... of first_date_counted: "new units" compare ints
    record_key INTEGER NOT NULL,        -- the service's key for cell-key perturbation
    natural_bit UBIGINT NOT NULL        -- one bit of 64 by unit id if a natural person, else 0
)
"""

# Raw rows (source.RAW_COLUMNS, registered as `batch`) -> fact rows, names joined in DuckDB.
# A row's record key and natural bit (analytics.cellkey) are computed once, here: secrecy
# then sums columns instead of hashing every service id in every scan.
ENRICH_TEMPLATE = """
INSERT INTO {name} BY NAME
SELECT b.service_id, b.report_id, d AS date, year(d) AS year, month(d) AS month,
       strftime(d, '%Y-%m') AS year_month, b.status,
       b.status = 'validado' AS is_validated, b.is_free = 1 AS is_free,
       CAST(b.amount AS DECIMAL(14, 2)) AS amount,
       b.center_id, c.code AS center_code, c.name AS center_name, c.kind AS center_kind,
       c.cite_code, c.cite_name,
       b.chain_id, ch.code AS chain_code, ch.name AS chain_name,
       b.category_id, cat.code AS category_code, cat.name AS category_name,
       b.catalogue_service_id, cs.name AS catalogue_service_name,
       b.programme_id, pr.code AS programme_code, pr.name AS programme_name,
       b.raw_unit_id, b.unit_id, b.client_type, ct.name AS client_type_name,
       b.size_class, sc.name AS size_class_name, b.is_natural = 1 AS is_natural,
       b.unit_district_code, ud.name AS unit_district_name,
       ud.province_code AS unit_province_code, ud.province_name AS unit_province_name,
       dep.code AS unit_department_code, dep.name AS unit_department_name,
       b.delivery_district_code, dd.name AS delivery_district_name,
       dd.department_code AS delivery_department_code,
       dd.department_name AS delivery_department_name,
       {record_key} AS record_key, {natural_bit} AS natural_bit{extra}
FROM (SELECT *, CAST(date AS DATE) AS d FROM {source}) b
JOIN dim_center c ON c.id = b.center_id
JOIN dim_category cat ON cat.id = b.category_id
LEFT JOIN dim_chain ch ON ch.id = b.chain_id
LEFT JOIN dim_catalogue cs ON cs.id = b.catalogue_service_id
LEFT JOIN dim_programme pr ON pr.id = b.programme_id
LEFT JOIN dim_client_type ct ON ct.code = b.client_type
LEFT JOIN dim_size_class sc ON sc.code = b.size_class
LEFT JOIN dim_district ud ON ud.code = b.unit_district_code
LEFT JOIN dim_department dep ON dep.code = COALESCE(ud.department_code, b.unit_department_code)
LEFT JOIN dim_district dd ON dd.code = b.delivery_district_code
"""


def enrich_sql() -> str:
    natural_bit = NATURAL_BIT.replace("is_natural", "b.is_natural = 1").replace(
        "unit_id", "b.unit_id"
    )
    return ENRICH_TEMPLATE.replace("{record_key}", record_key_sql("b.service_id")).replace(
        "{natural_bit}", natural_bit
    )


# The rows of source.fact_batches, from the three tables a rebuild (and a refresh, source.
# tables_of_reports) reads apart (source.TABLE_READS); the unit's attributes are its
# survivor's after a merge, as in source._fact_sql.
RAW_VIEW_SQL = """
CREATE TEMP VIEW batch AS
SELECT s.service_id, s.report_id, CAST(r.date AS DATE) AS date, r.status, r.is_free, s.amount,
       r.center_id,
       r.chain_id, r.category_id, r.catalogue_service_id, r.programme_id, s.raw_unit_id,
       u.unit_id, su.client_type, su.size_class, su.is_natural, su.unit_district_code,
       su.unit_department_code, r.delivery_district_code
FROM temp.raw_services s
JOIN temp.raw_reports r ON r.report_id = s.report_id
JOIN temp.raw_units u ON u.raw_unit_id = s.raw_unit_id
JOIN temp.raw_units su ON su.raw_unit_id = u.unit_id
"""

# The raw rows with their unit's first dates. Not sorted here: a rebuild then inserts the
# facts one year at a time (build.rebuild_locked), so each row group holds one year and
# DuckDB's min/max zone maps skip the years outside a period; a global ORDER BY of the rows
# cost more than all the rest of a rebuild at 10M services.
RAW_WITH_FIRST_DATES_SQL = """
CREATE TEMP TABLE raw_facts AS
SELECT b.*, fd.first_date_validated, fd.first_date_counted
FROM temp.batch b
JOIN (SELECT unit_id,
             min(date) FILTER (WHERE status = 'validado') AS first_date_validated,
             min(date) AS first_date_counted
      FROM temp.batch GROUP BY unit_id) fd USING (unit_id)
"""

# Names that follow the registry: (dimension, fact key, [(fact column, dimension column)]).
LABELS = [
    (
        "dim_center",
        "center_id",
        [
            ("center_code", "code"),
            ("center_name", "name"),
            ("center_kind", "kind"),
            ("cite_code", "cite_code"),
            ("cite_name", "cite_name"),
        ],
    ),
    ("dim_chain", "chain_id", [("chain_code", "code"), ("chain_name", "name")]),
    ("dim_category", "category_id", [("category_code", "code"), ("category_name", "name")]),
    ("dim_programme", "programme_id", [("programme_code", "code"), ("programme_name", "name")]),
    ("dim_catalogue", "catalogue_service_id", [("catalogue_service_name", "name")]),
]

# Each unit's first dates as year * 100 + month, so "new units" compare integers per row.
FIRST_YM_SQL = (
    "year({p}first_date_validated) * 100 + month({p}first_date_validated) AS first_ym_validated, "
    "year({p}first_date_counted) * 100 + month({p}first_date_counted) AS first_ym_counted"
)
# The columns a rebuild adds to enrich_sql() from raw rows `b` that carry the first dates.
FIRST_DATES_COLUMNS = ", b.first_date_validated, b.first_date_counted, " + FIRST_YM_SQL.format(
    p="b."
)

FIRST_DATES_SQL = """
SELECT unit_id,
       min(date) FILTER (WHERE status = 'validado') AS first_date_validated,
       min(date) AS first_date_counted
FROM facts {where}
GROUP BY unit_id
"""


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Empty tables of a new generation."""
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(FACTS_DDL.format(name="facts"))
    for name, columns in DIMENSIONS_DDL.items():
        con.execute(f"CREATE TABLE {name} ({columns})")


def replace_dimensions(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    """Reload every dimension (small) from Arrow tables."""
    for name, table in tables.items():
        con.execute(f"DELETE FROM {name}")
        if table.num_rows:
            con.register("dimension", table)
            con.execute(f"INSERT INTO {name} SELECT * FROM dimension")
            con.unregister("dimension")


def insert_raw(
    con: duckdb.DuckDBPyConnection, batch: pa.Table | str, *, into: str = "facts"
) -> None:
    """Append raw rows as fact rows (a single vectorised INSERT).

    `batch` is an Arrow table of raw rows, or the name of a table or view holding them.
    """
    if isinstance(batch, str):
        con.execute(enrich_sql().format(name=into, extra="", source=batch))
        return
    con.register("batch", batch)
    try:
        con.execute(enrich_sql().format(name=into, extra="", source="batch"))
    finally:
        con.unregister("batch")


def rewrite_labels(con: duckdb.DuckDBPyConnection) -> None:
    """Bring names and codes in the facts in line with the dimensions (after a registry edit)."""
    for dimension, key, pairs in LABELS:
        assignments = ", ".join(f"{fact} = d.{column}" for fact, column in pairs)
        differs = " OR ".join(f"f.{fact} IS DISTINCT FROM d.{column}" for fact, column in pairs)
        con.execute(
            f"UPDATE facts f SET {assignments} FROM {dimension} d "
            f"WHERE f.{key} = d.id AND ({differs})"
        )


def write_meta(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    con.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)", [[k, v] for k, v in values.items()]
    )
