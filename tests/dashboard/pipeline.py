"""Build a small warehouse through the real pipeline: generate -> load -> link -> findings, interviews and
theories of change -> readiness (the demo's order)."""

from __future__ import annotations

from pathlib import Path

from warehouse.store import Store


def build_pipeline(path: Path, children: int = 300, seed: int = 11) -> Path:
    """The demo's steps at small N; returns the warehouse path."""
    from evaluation import compute_and_store
    from linkage import run_feasibility
    from synthesis import import_file, import_toc
    from synthetic_data import WorldSettings, generate, write_focus_groups
    from synthetic_data.interviews import write_interviews
    from synthetic_data.toc import write_tocs
    from warehouse import load_drop

    drop = path.parent / "drop"
    generate(drop, WorldSettings(seed=seed, children=children))
    store = Store(path)
    load_drop(drop, store)
    run_feasibility(store)
    findings = drop / "findings"
    findings.mkdir(parents=True, exist_ok=True)
    for f in [*write_focus_groups(findings, seed), *write_interviews(findings / "interviews", seed)]:
        import_file(f, store)
    for f in write_tocs(drop / "toc", seed):
        import_toc(f, store)
    compute_and_store(store)
    return path
