"""Identifier-sharing scenarios: the catalogue lives in :mod:`warehouse.scenarios` (one home)."""

from warehouse.scenarios import SCENARIOS, Scenario, get_scenario, register_scenario

__all__ = ["SCENARIOS", "Scenario", "get_scenario", "register_scenario"]
