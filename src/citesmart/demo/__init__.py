"""A deterministic demo history of the real network, calibrated on the published figures.

`citesmart demo_data` calls run.load_demo(); the pieces: calibration.py (how many services,
where and when), units.py (who is served), reports.py (the reports), store.py (writing and
removing).
The other demo commands build on that history: `demo_closings` (monthly closings),
`demo_historic` (historic.py: ITP's tables for 2016-2018), `demo_targets` (targets.py).

The top floor of the house: it writes through every app's actions and no app imports it.
An installed app (for its commands), so this package imports no models itself.
"""
