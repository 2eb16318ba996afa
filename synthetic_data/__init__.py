"""synthetic_data: a seeded synthetic world of four services and their local authorities, as an extract drop.

Public API: :class:`WorldSettings` (every rate, typed) and :func:`generate` (write a drop, return the
manifest). See ``docs/synthetic-world.md``. Names load with their module on first use, so that a
`linkready` process that does not generate a world does not pay for the generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from warehouse.lazy import lazy_names

_LAZY: dict[str, str] = {
    "load_settings": "synthetic_data.calibration",
    "Figure": "synthetic_data.fidelity", "calibration_table": "synthetic_data.fidelity",
    "render_table": "synthetic_data.fidelity", "write_json": "synthetic_data.fidelity",
    "write_focus_groups": "synthetic_data.focus_groups",
    "write_interviews": "synthetic_data.interviews",
    "NHS_CHILDREN_LIMIT": "synthetic_data.population", "nhs_shortfall_warning": "synthetic_data.population",
    "real_world_children": "synthetic_data.population",
    "SiteProfile": "synthetic_data.settings", "WorldSettings": "synthetic_data.settings",
    "write_tocs": "synthetic_data.toc",
    "generate": "synthetic_data.world",
}

if TYPE_CHECKING:
    from synthetic_data.calibration import load_settings
    from synthetic_data.fidelity import Figure, calibration_table, render_table, write_json
    from synthetic_data.focus_groups import write_focus_groups
    from synthetic_data.interviews import write_interviews
    from synthetic_data.population import NHS_CHILDREN_LIMIT, nhs_shortfall_warning, real_world_children
    from synthetic_data.settings import SiteProfile, WorldSettings
    from synthetic_data.toc import write_tocs
    from synthetic_data.world import generate

__all__ = ["NHS_CHILDREN_LIMIT", "Figure", "SiteProfile", "WorldSettings", "calibration_table", "generate",
           "load_settings", "nhs_shortfall_warning", "real_world_children", "render_table", "write_focus_groups",
           "write_interviews", "write_json", "write_tocs"]


__getattr__ = lazy_names("synthetic_data", _LAZY, globals())
