"""synthetic_data: a seeded synthetic world of four services and their local authorities, as an extract drop.

Public API: :class:`WorldSettings` (every rate, typed) and :func:`generate` (write a drop, return the
manifest). See ``docs/synthetic-world.md``.
"""

from synthetic_data.calibration import load_settings
from synthetic_data.fidelity import Figure, calibration_table, render_table, write_json
from synthetic_data.focus_groups import write_focus_groups
from synthetic_data.interviews import write_interviews
from synthetic_data.population import NHS_CHILDREN_LIMIT, nhs_shortfall_warning, real_world_children
from synthetic_data.settings import SiteProfile, WorldSettings
from synthetic_data.toc import write_tocs
from synthetic_data.world import generate

__all__ = ["NHS_CHILDREN_LIMIT", "Figure", "SiteProfile", "WorldSettings", "calibration_table", "generate",
           "load_settings", "nhs_shortfall_warning", "real_world_children", "render_table", "write_focus_groups", "write_interviews", "write_json", "write_tocs"]
