"""Spreadsheet import of service reports: the one pipeline behind the upload page and the CLI.

read (lib.spreadsheets) -> parse and check every row against lookups loaded once (rows,
columns) -> group rows into reports and apply the report rules (drafts) -> plan against what
the database holds (planning) -> write, in one transaction (writing) -> keep the batch, its
messages and the rows to fix (report). `pipeline.import_file` runs them in that order.

Small files are written through the actions (records.unit_actions.get_or_create_unit and
records.actions.record_service_report). Large ones go through `writing.BulkWriter`, which
writes the same rows and the same audit entries in a few queries; tests run every scenario
both ways.
"""

from citesmart.records.imports.pipeline import (
    import_file,
    recheck,
    register_checked,
    register_refusal,
)
from citesmart.records.imports.report import (
    MAX_STORED_MESSAGES,
    batch_messages,
    rejected_file_name,
    result_messages,
    write_error_report,
    write_rejected_rows,
)
from citesmart.records.imports.results import ImportRefused, ImportResult, Progress, RowError
from citesmart.records.imports.writing import BULK_MIN_ROWS

__all__ = [
    "BULK_MIN_ROWS",
    "MAX_STORED_MESSAGES",
    "ImportRefused",
    "ImportResult",
    "Progress",
    "RowError",
    "batch_messages",
    "import_file",
    "recheck",
    "register_checked",
    "register_refusal",
    "rejected_file_name",
    "result_messages",
    "write_error_report",
    "write_rejected_rows",
]
