"""The `citesmart` console command: Django's manage.py, with our settings preselected."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["citesmart", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
