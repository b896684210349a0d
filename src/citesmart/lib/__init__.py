"""Django-free helpers: text, identity documents, spreadsheets, dates."""
