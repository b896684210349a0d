# Admin registrations for the records app. Import batches (upload page, revert) live in
# admin_imports.py; keep this import so Django's autodiscovery registers them.
from citesmart.records import admin_imports  # noqa: F401
