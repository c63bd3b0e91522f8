"""Reports: CSV and JSON files made from the statistics, which they read and never change."""

from __future__ import annotations

from swarm.reports.csv import CsvReport
from swarm.reports.json import print_json, stats_to_json, write_json_file

__all__ = ["CsvReport", "print_json", "stats_to_json", "write_json_file"]
