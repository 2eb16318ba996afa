"""Acceptability (RQ1b, RQ3b-c): the deductive codebook and the acceptability matrix.

The codebook follows Sekhon, Cartwright and Francis (2017): one codable code per construct of the
theoretical framework of acceptability (``warehouse.toc.ACCEPTABILITY_CONSTRUCTS``), each with two
children for the direction of what was said (``Burden: positive`` / ``Burden: negative``), plus a
code per research question of the protocol (RQ1a ... RQ3d). GUIDs are fixed
(``warehouse.toc.acceptability_code_guid``): a coder imports the ``.qdc`` into NVivo, ATLAS.ti,
MAXQDA or QualCoder, codes the interviews, and the exported project comes back with the same codes.

The matrix counts coded segments per site, construct and stakeholder group (the ``Role`` variable
of the speaking participant: service user, practitioner, manager, partner agency, else "other"),
with the balance of positive and negative where the direction was coded, and one exemplar quote
with the speaker's pseudonym. Site views go through ``warehouse.disclosure``: counts of 1-5 are
hidden, with their balance, and a quote is withheld where the number of participants is hidden.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from synthesis import refi
from warehouse.disclosure import Disclosure, Nested
from warehouse.sites import get_site
from warehouse.store import Store
from warehouse.toc import (
    ACCEPTABILITY_CONSTRUCTS,
    OTHER_STAKEHOLDERS,
    STAKEHOLDER_GROUPS,
    VALENCES,
    acceptability_code_guid,
    acceptability_codebook_entries,
)

__all__ = ["MATRIX_DISCLOSURE", "acceptability_codebook", "acceptability_matrix", "code_constructs",
           "write_acceptability_qdc"]

def acceptability_codebook() -> list[refi.RefiCode]:
    """The deductive acceptability codebook (``warehouse.toc.acceptability_codebook_entries``) as REFI codes."""
    return [refi.RefiCode(e.guid, e.name, e.is_codable, e.color, e.description, e.parent_guid, i)
            for i, e in enumerate(acceptability_codebook_entries())]


def write_acceptability_qdc(out: Path) -> Path:
    """Write the codebook as a REFI ``.qdc`` file for a QDA tool."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(refi.codebook_xml(acceptability_codebook(), []))
    return out


def code_constructs() -> pl.DataFrame:
    """code_id -> construct and valence (None for the construct code itself) for every construct code."""
    rows: list[tuple[str, str, str, str | None]] = []
    for c in ACCEPTABILITY_CONSTRUCTS.values():
        rows.append((acceptability_code_guid(c.name), c.name, c.label, None))
        rows += [(acceptability_code_guid(c.name, v), c.name, c.label, v) for v in VALENCES]
    return pl.DataFrame(rows, schema={"code_id": pl.Utf8, "construct": pl.Utf8, "construct_label": pl.Utf8,
                                      "valence": pl.Utf8}, orient="row")


MATRIX_DISCLOSURE = Disclosure(
    counts=("n_participants", "n_segments", "n_positive", "n_negative"),
    rates={"balance": ("n_positive", "n_negative")},
    nested=(Nested("n_positive", "n_segments"), Nested("n_negative", "n_segments")),
)
"""What the acceptability matrix holds, for the disclosure engine (site views)."""


def _coded(store: Store, sites: list[str] | None) -> pl.DataFrame:
    with store.reader() as con:
        quotes: pl.DataFrame = con.sql(
            "SELECT site_id, segment_id, document_id, start_char, code_id, quote, participant, role FROM v_quotes "
            "WHERE $sites IS NULL OR site_id IN (SELECT unnest($sites))", params={"sites": sites}).pl()
    groups = {g.lower(): g for g in STAKEHOLDER_GROUPS}
    return (quotes.join(code_constructs(), on="code_id", how="inner")
            .with_columns(pl.col("role").str.to_lowercase().replace_strict(groups, default=OTHER_STAKEHOLDERS)
                          .alias("stakeholder_group")))


def acceptability_matrix(store: Store, site_view: bool = False, sites: list[str] | None = None) -> pl.DataFrame:
    """Site x construct x stakeholder group: participants, coded segments, positive, negative, balance, exemplar.

    Args:
        store: the warehouse.
        site_view: apply the disclosure policy (counts 1-5 hidden; quotes withheld with their participants).
        sites: restrict to these sites (a site user's own).
    Returns:
        One row per cell with any coded segment; ``balance`` is (positive - negative) / (positive +
        negative), measured from the coded directions (null where none was coded); ``basis`` says so.
    """
    for s in sites or []:
        get_site(s)
    coded = _coded(store, sites)
    keys = ["site_id", "construct", "construct_label", "stakeholder_group"]
    matrix = (coded.group_by(keys).agg(
        pl.col("participant").drop_nulls().n_unique().cast(pl.Int64).alias("n_participants"),
        pl.col("segment_id").n_unique().cast(pl.Int64).alias("n_segments"),
        (pl.col("valence") == "positive").sum().cast(pl.Int64).alias("n_positive"),
        (pl.col("valence") == "negative").sum().cast(pl.Int64).alias("n_negative"),
    ).with_columns(
        pl.when(pl.col("n_positive") + pl.col("n_negative") > 0)
        .then((pl.col("n_positive") - pl.col("n_negative")) / (pl.col("n_positive") + pl.col("n_negative")))
        .alias("balance"),
        pl.lit("measured: coded segments").alias("basis"),
    ))
    matrix = matrix.join(_exemplars(coded, keys), on=keys, how="left")
    order = {c: i for i, c in enumerate(ACCEPTABILITY_CONSTRUCTS.names())}
    matrix = matrix.with_columns(pl.col("construct").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
    matrix = matrix.sort(["site_id", "_o", "stakeholder_group"]).drop("_o")
    if not site_view:
        return matrix
    published = MATRIX_DISCLOSURE.apply(matrix)
    hidden = published["n_participants"].cast(pl.Utf8) == MATRIX_DISCLOSURE.policy.symbol
    return published.with_columns([pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c)
                                   for c in ("exemplar_quote", "exemplar_participant", "exemplar_role")])


def _exemplars(coded: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One quote per cell: from the cell's majority direction, first in document order, with its speaker."""
    majority = coded.with_columns(
        pl.col("valence").fill_null("").alias("_v"),
    ).with_columns(pl.len().over([*keys, "_v"]).alias("_n"))
    return (majority.sort(["_n", "document_id", "start_char"], descending=[True, False, False])
            .group_by(keys, maintain_order=True).first()
            .select([*keys, pl.col("quote").alias("exemplar_quote"), pl.col("participant").alias("exemplar_participant"),
                     pl.col("role").alias("exemplar_role")]))
