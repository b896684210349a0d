"""A deterministic demo history of the real network, calibrated on the published figures.

`citesmart demo_data` calls load_demo(); the pieces: calibration.py (how many services, where and
when), units.py (who is served), reports.py (the reports), store.py (writing and removing).
"""

from citesmart.records.demo.run import DemoParams, build_year, load_demo, open_world, plan_counts

__all__ = ["DemoParams", "build_year", "load_demo", "open_world", "plan_counts"]
