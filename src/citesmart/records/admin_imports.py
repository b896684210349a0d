"""Back-office screens for spreadsheet imports: upload page, batch list, revert."""
