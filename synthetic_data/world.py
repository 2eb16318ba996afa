"""``generate``: draw a seeded world and write it as an extract drop (``docs/extract-drop.md``)."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from synthetic_data.csc import CinEpisodes, ClaEpisodes, build_cin, build_cla
from synthetic_data.names import NamePools
from synthetic_data.population import World, build_world
from synthetic_data.settings import WorldSettings
from synthetic_data.site_records import SiteRecords, build_site_records
from synthetic_data.writers import (
    cin_child_rows,
    identifier_rows,
    la_children_orders,
    site_outcome_rows,
    site_people_rows,
    ssda903_rows,
    truth_link_rows,
    write_cin_xml,
    write_csv,
)
from synthetic_data.xmlfrag import RowSubset
from warehouse.adapters import get_adapter
from warehouse.drop import (
    CIN_CENSUS,
    DEFECT_COLUMNS,
    LA_IDENTIFIERS,
    MANIFEST,
    SSDA903_EPISODES,
    SSDA903_HEADER,
    TRUTH_DEFECTS,
    TRUTH_LINKS,
)
from warehouse.errors import ConfigError
from warehouse.sites import SITES

GENERATOR = "linkready-synth"
GENERATOR_VERSION = "0.2.0"


@dataclass
class DropFile:
    """One file of the drop before serialisation: a string table (CSV) or XML child fragments."""

    path: str
    kind: str
    table: pl.DataFrame | None = None
    fragments: pl.Series | list[str] | RowSubset | None = None
    la_code: str = ""
    site_id: str = ""
    measure: str = ""
    delimiter: str = ","
    encoding: str = "utf-8"
    date_format: str = "%Y-%m-%d"
    short_rows: set[int] = field(default_factory=set)  # 0-based data rows written one field short

    @property
    def rows(self) -> int:
        return len(self.fragments) if self.fragments is not None else (self.table.height if self.table is not None
                                                                         else 0)


@dataclass(frozen=True)
class Streams:
    """Every random stream a drop uses, spawned once from the seed and passed to the stage that uses it.

    Each stage draws only from its own stream, so the LA side and the site side can run on two
    threads and a change in one stage leaves the others' draws alone.
    """

    population: np.random.Generator
    cin: np.random.Generator
    cla: np.random.Generator
    site: np.random.Generator
    write: np.random.Generator
    defects: np.random.Generator
    site_families: np.random.Generator  # site families and their people: the same whatever the world's size

    @classmethod
    def spawn(cls, seed: int) -> Streams:
        names = [f.name for f in dataclasses.fields(cls)]
        children = np.random.SeedSequence(seed).spawn(len(names))
        return cls(**{name: np.random.default_rng(c) for name, c in zip(names, children, strict=True)})


Ready = Callable[[DropFile], None]  # told about each file once its content is final


def _la_side(settings: WorldSettings, world: World, streams: Streams, say: Callable[[str], None], ready: Ready
             ) -> tuple[CinEpisodes, ClaEpisodes, list[DropFile]]:
    rng_cin, rng_cla, rng_write = streams.cin, streams.cla, streams.write
    say("drawing children-in-need episodes")
    cin = build_cin(world, rng_cin)
    # The CIN census (most of the drop's bytes) goes first: once its rows are prepared, each LA's
    # file is rendered, written and hashed by the writers (no GIL needed) while this thread draws
    # the looked-after episodes and builds the CSV tables.
    say("rendering CIN census")
    child_rows = cin_child_rows(world, cin)
    orders = la_children_orders(world, cin)
    cin_files = {code: DropFile(f"la/{code}/{CIN_CENSUS}", "cin_census", la_code=code,
                                fragments=RowSubset(child_rows, order)) for code, order in orders.items()}
    for f in sorted(cin_files.values(), key=lambda f: f.rows, reverse=True):  # biggest first: the shortest tail
        ready(f)
    say("drawing looked-after episodes")
    cla = build_cla(world, cin, rng_cla)
    files: list[DropFile] = []
    la_missing_nhs = rng_write.random(len(world.children)) < settings.p_la_nhs_missing
    nhs = world.children.nhs.astype(object).copy()
    nhs[la_missing_nhs] = None
    say("rendering identifier rows")
    all_identifiers = identifier_rows(world, cin, np.arange(len(cin.child)), nhs)
    for code, order in orders.items():
        say(f"writing local authority {code}")
        base = f"la/{code}"
        header, episodes = ssda903_rows(world, cin, cla, order, rng_write)
        la_files = [DropFile(f"{base}/{SSDA903_HEADER}", "ssda903_header", table=header, la_code=code,
                             date_format="%d/%m/%Y"),
                    DropFile(f"{base}/{SSDA903_EPISODES}", "ssda903_episodes", table=episodes, la_code=code,
                             date_format="%d/%m/%Y"),
                    DropFile(f"{base}/{LA_IDENTIFIERS}", "la_identifiers",
                             table=all_identifiers.select(pl.all().gather(order)), la_code=code)]
        files.extend([cin_files[code], *la_files])
        for f in la_files:
            ready(f)
    return cin, cla, files


def _site_side(world: World, rng_site: np.random.Generator, names: NamePools, say: Callable[[str], None],
               ready: Ready) -> tuple[SiteRecords, list[DropFile]]:
    say("drawing service records and outcomes")
    records = build_site_records(world, rng_site, names)
    files: list[DropFile] = []
    for site_id in SITES:
        say(f"writing site {site_id}")
        adapter = get_adapter(site_id)
        lay = adapter.people
        files.append(DropFile(f"sites/{site_id}/{lay.filename}", "site_people",
                              table=site_people_rows(site_id, records), site_id=site_id, delimiter=lay.delimiter,
                              encoding=lay.encoding, date_format=lay.date_format))
        for measure in adapter.outcomes.measures:
            files.append(DropFile(f"sites/{site_id}/{adapter.outcomes.filename(measure)}", "site_outcomes",
                                  table=site_outcome_rows(site_id, measure, records), site_id=site_id,
                                  measure=measure, delimiter=lay.delimiter, encoding=lay.encoding,
                                  date_format=lay.date_format))
    for f in files:
        ready(f)
    return records, files


def build_files(settings: WorldSettings, progress: Callable[[str], None] | None = None,
                ready: Ready | None = None, streams: Streams | None = None
                ) -> tuple[list[DropFile], dict[str, int], World]:
    """Draw the world and return every file as a table plus counts.

    ``ready`` is called (from either of two threads) with each file as soon as its content is
    final, so it can be written while the rest is drawn; nothing is written here.
    """
    report = progress or (lambda _m: None)
    tell = ready or (lambda _f: None)
    lock = threading.Lock()

    def say(message: str) -> None:  # two threads report progress; keep their lines whole
        with lock:
            report(message)

    rng = streams or Streams.spawn(settings.seed)
    say("building name pools")
    names = NamePools(settings.seed)
    say("drawing families at the sites' yearly flows and the LAs' populations"
        + (" (real sizes)" if settings.scale == "real" else f" ({settings.children:,} children)"))
    world = build_world(settings, rng.population, names, rng.site_families)
    if world.size is not None and world.size.site_flow_scale < 1.0:
        say(world.size.note())
    # The LA side (CIN, CLA, their rendering) and the site side draw from separate seeded streams
    # and only read the world, so they run on two threads; most of their work is numpy/polars,
    # which releases the GIL. Each stream is used in the same order as on one thread, and files
    # are listed in the same order, so the output is byte-identical.
    with ThreadPoolExecutor(max_workers=1) as pool:
        site_job = pool.submit(_site_side, world, rng.site, names, say, tell)
        cin, cla, files = _la_side(settings, world, rng, say, tell)
        records, site_files = site_job.result()
    files.extend(site_files)
    files.append(DropFile(TRUTH_LINKS, "truth_links", table=truth_link_rows(records)))
    tell(files[-1])

    K = world.children
    counts = {
        "children": len(K),
        "families": len(world.families),
        "la_children": int(K.in_la.sum()),
        "la_unborn": int((K.in_la & (K.dob < 0)).sum()),
        "cin_episodes": len(cin.child),
        "cin_with_domestic_abuse_factor": int(cin.da_factor.sum()),
        "cin_with_domestic_abuse_factor_returned": int((cin.da_factor & cin.assess_returned).sum()),
        "cin_assessments_with_factors": int(((cin.assess_auth >= 0) & cin.assess_returned).sum()
                                            + (cin.prev_assess_auth >= 0).sum()),
        "cin_assessments_authorised": int((cin.assess_auth >= 0).sum()),
        "child_protection_plans": int(cin.cpp_returned.sum()),
        "looked_after_children": len(set(cla.child.tolist())),
        "looked_after_episodes": len(cla.child),
        "twins": int(K.is_twin.sum()),
        "nhs_numbers_unavailable": world.nhs_shortfall,
        "truth_links": records.links.height,
        **records.counts,
    }
    return files, counts, world


def _write_file(path: Path, f: DropFile, settings: WorldSettings) -> None:
    if f.fragments is not None:
        write_cin_xml(path, f.la_code, settings, f.fragments)
    else:
        assert f.table is not None
        write_csv(path, f.table, f.delimiter, f.encoding, f.short_rows)


def generate(out: Path, settings: WorldSettings, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write a complete extract drop for ``settings`` into ``out`` and return the manifest dict.

    Same settings -> byte-identical files. With ``settings.dirty > 0`` defects are injected and
    listed in ``truth/defects.csv``.
    """
    settings.validate()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; give a directory (it is created if missing)")
    say = progress or (lambda _m: None)
    # millions of short-lived strings and no reference cycles: the cyclic collector would rescan
    # them again and again for nothing, so it is paused while the drop is built and written
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(out, settings, say)
    finally:
        if gc_was_enabled:
            gc.enable()


def _size_entry(world: World) -> dict[str, Any]:
    """The world's size and the basis of the sites' flows, for the manifest."""
    size = world.size
    if size is None:
        return {}
    return {"scale": size.scale, "children_requested": size.children_requested,
            "children": len(world.children), "site_flow_scale": round(size.site_flow_scale, 6),
            "site_flows": size.note(), "decoy_children_per_la": dict(sorted(size.la_targets.items()))}


def _write(out: Path, f: DropFile, settings: WorldSettings) -> dict[str, Any]:
    """Serialise one file into ``out`` and hash it back from the page cache; its manifest entry."""
    path = out / f.path
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_file(path, f, settings)
    return {"path": f.path, "sha256": _sha256(path), "kind": f.kind, "rows": f.rows}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    with path.open("rb") as fh:
        while n := fh.readinto(buf):
            digest.update(view[:n])
    return digest.hexdigest()


def _clear_previous_drop(out: Path) -> None:
    """A previous drop in the same directory is replaced, never mixed."""
    if (out / MANIFEST).exists():
        for sub in ("la", "sites", "truth"):
            if (out / sub).is_dir():
                shutil.rmtree(out / sub)
        (out / MANIFEST).unlink()
    out.mkdir(parents=True, exist_ok=True)


def _generate(out: Path, settings: WorldSettings, say: Callable[[str], None]) -> dict[str, Any]:
    _clear_previous_drop(out)
    # Serialising, hashing and writing release the GIL (polars, hashlib, file writes), so two
    # writer threads keep both cores busy. A clean drop is written file by file while the rest
    # is still being drawn; defects alter files across the drop, so a dirty one is written
    # after injection, biggest files first. Each file's bytes depend only on its content, and
    # the manifest lists the entries in path order, so the output is byte-identical either way.
    with ThreadPoolExecutor(max_workers=2) as writers:
        jobs: dict[str, Future[dict[str, Any]]] = {}

        def write(f: DropFile) -> None:
            jobs[f.path] = writers.submit(_write, out, f, settings)

        streams = Streams.spawn(settings.seed)
        files, counts, world = build_files(settings, say, ready=write if settings.dirty == 0 else None,
                                           streams=streams)
        defects: pl.DataFrame | None = None
        if settings.dirty > 0:
            from synthetic_data.defects import inject_defects

            say(f"injecting defects at rate {settings.dirty}")
            for f in files:
                if isinstance(f.fragments, RowSubset):
                    f.fragments = f.fragments.render()
            defects = inject_defects(files, settings, streams.defects)
            counts["defects"] = defects.height
            files.append(DropFile(TRUTH_DEFECTS, "truth_defects", table=defects))
            say(f"serialising and writing {len(files)} files")
            for f in sorted(files, key=lambda f: (f.fragments is not None, f.rows), reverse=True):
                write(f)
        else:
            for f in files:  # each file is written once; any not handed over while drawing, now
                if f.path not in jobs:
                    write(f)
            say(f"writing the last of {len(files)} files")
        entries = [jobs[path].result() for path in sorted(jobs)]
    say("writing manifest")
    manifest = {
        "generator": GENERATOR,
        "generator_version": GENERATOR_VERSION,
        "seed": settings.seed,
        "children": len(world.children) if settings.scale == "real" else settings.children,
        "dirty": settings.dirty,
        "extract_date": settings.extract_date.isoformat(),
        "census_year": settings.census_year,
        "reference_date": settings.reference_date.isoformat(),
        "rates": settings.rates(),
        "world_size": _size_entry(world),
        "counts": counts,
        "files": entries,
        "defect_columns": list(DEFECT_COLUMNS) if defects is not None else [],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    return manifest
