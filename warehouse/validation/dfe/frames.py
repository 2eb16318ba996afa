"""Read -> type: the input tables of one return made ready for the checks (vectorised).

- ``_row`` is kept (or numbered from 1 when absent); ``_child`` joins a row to its child and
  ``child_id`` is what the problem reports (CIN: the LAchildID of the row's ``Child``; 903: CHILD).
- Dates become ``pl.Date`` whether they arrive typed or as text in the return's DfE format (CIN
  ``YYYY-MM-DD``, SSDA903 ``DD/MM/YYYY``); unparseable text, two-digit years and years before 1900
  become null, and ``__bad_<column>`` marks a value that was given but is not a date.
- Codes are trimmed and upper-cased (DfE's 903 validator does the same; CIN codes compare
  case-insensitively here, see the reference §5.1.3). LAchildID and CHILD keep their case (a padded
  LAchildID is CIN 1580's business).
- CIN booleans (``ReferralNFA``, ``ICPCnotRequired``) become ``pl.Boolean`` from every spelling the
  schema allows (true/false/1/0 in any case); anything else is null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from warehouse.validation.dfe.calendar import census_period
from warehouse.validation.dfe.rule import ReturnName

__all__ = ["CIN_TABLES", "SSDA903_TABLES", "RuleInput", "prepare"]

CIN_TABLES = ("header", "child", "details", "assessments", "factors", "plans", "section47", "cpp", "reviews",
              "disabilities", "preproceedings")
SSDA903_TABLES = ("header", "episodes", "oc2", "missing", "oc3", "header_last", "episodes_last", "missing_last",
                  "providers", "postcodes")

_CIN_DATES = frozenset({
    "ReferenceDate", "PersonBirthDate", "ExpectedPersonBirthDate", "PersonDeathDate", "CINreferralDate",
    "CINclosureDate", "DateOfInitialCPC", "AssessmentActualStartDate", "AssessmentInternalReviewDate",
    "AssessmentAuthorisationDate", "CINPlanStartDate", "CINPlanEndDate", "S47ActualStartDate", "InitialCPCtarget",
    "CPPstartDate", "CPPendDate", "CPPreviewDate", "PPStartDate", "LBPSentDate", "InitialPPMeetingDate",
    "StepDecisionDate", "CourtAppDate", "LetterInitCPDate",
})
_CIN_CODES = frozenset({
    "UPN", "FormerUPN", "UPNunknown", "Sex", "GenderCurrent", "Ethnicity", "ReferralSource", "PrimaryNeedCode",
    "ReasonForClosure", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "AssessmentFactors", "Disability",
    "PPOutcome",
})
_CIN_BOOLEANS = frozenset({"ReferralNFA", "ICPCnotRequired"})
_CIN_TEXT = frozenset({"LAchildID", "LEA", "Year", "NumberOfPreviousCPP", "ReviewMeetingsCount"})
_CIN_IDS = {"CINdetailsID": "cin_details_id", "AssessmentID": "assessment_id", "CPPID": "cpp_id"}
_903_DATES = frozenset({"DOB", "MC_DOB", "DECOM", "DEC", "MIS_START", "MIS_END", "DUC", "DEREG_DATE"})
_903_TEXT = frozenset({"CHILD"})

_DATE_SHAPE = {"cin": r"^\d{4}-\d{2}-\d{2}$", "903": r"^\d{2}/\d{2}/\d{4}$"}
_DATE_FORMAT = {"cin": "%Y-%m-%d", "903": "%d/%m/%Y"}
_EARLIEST = date(1900, 1, 1)


def _date_exprs(name: str, dtype: pl.DataType, return_name: ReturnName) -> list[pl.Expr]:
    c = pl.col(name)
    if dtype == pl.Date:
        typed = c
    elif isinstance(dtype, pl.Datetime):
        typed = c.dt.date()
    else:
        text = c.cast(pl.String).str.strip_chars()
        parsed = text.str.strptime(pl.Date, _DATE_FORMAT[return_name], strict=False)
        shaped = text.str.contains(_DATE_SHAPE[return_name]).fill_null(False)
        typed = pl.when(shaped & (parsed >= pl.lit(_EARLIEST))).then(parsed).otherwise(None)
    given = c.cast(pl.String).str.strip_chars().replace("", None).is_not_null()
    return [typed.alias(name), (given & typed.is_null()).alias(f"__bad_{name}")]


def _code_expr(name: str) -> list[pl.Expr]:
    c = pl.col(name).cast(pl.String)
    return [c.str.strip_chars().str.to_uppercase().replace("", None).alias(name)]


def _bool_expr(name: str) -> list[pl.Expr]:
    text = pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase()
    value = (pl.when(text.is_in(["true", "1"])).then(pl.lit(True))
             .when(text.is_in(["false", "0"])).then(pl.lit(False)).otherwise(pl.lit(None, dtype=pl.Boolean)))
    return [value.alias(name)]


def _typed(frame: pl.DataFrame, return_name: ReturnName) -> pl.DataFrame:
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        if name.startswith("_"):
            continue
        if return_name == "cin":
            if name in _CIN_DATES:
                exprs += _date_exprs(name, dtype, return_name)
            elif name in _CIN_CODES:
                exprs += _code_expr(name)
            elif name in _CIN_BOOLEANS:
                exprs += _bool_expr(name)
            elif name in _CIN_TEXT:  # read as text as delivered, whatever a loader typed them as
                exprs.append(pl.col(name).cast(pl.String).alias(name))
        elif name in _903_DATES:
            exprs += _date_exprs(name, dtype, return_name)
        elif name in _903_TEXT:
            exprs.append(pl.col(name).cast(pl.String).str.strip_chars().alias(name))
        else:  # every other 903 value is a code or text; typed input (an integer MOTHER, a float distance) too
            exprs += _code_expr(name)
    if "_row" not in frame.columns:
        frame = frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    else:
        frame = frame.with_columns(pl.col("_row").cast(pl.Int64))
    return frame.with_columns(exprs) if exprs else frame


def _cin_keys(tables: dict[str, pl.DataFrame], numbered: frozenset[str]) -> dict[str, pl.DataFrame]:
    """``_child`` (the Child element's ``_row``) and ``child_id`` (its LAchildID) on every CIN table.

    A module table that came without ``_row`` (``numbered``) but with LAchildID finds its child by
    LAchildID instead.
    """
    child = tables.get("child")
    out: dict[str, pl.DataFrame] = {}
    ids = None
    if child is not None:
        child = child.with_columns(pl.col("_row").alias("_child"))
        if "LAchildID" in child.columns:
            child = child.with_columns(pl.col("LAchildID").cast(pl.String).alias("child_id"))
        else:
            child = child.with_columns(pl.lit(None, dtype=pl.String).alias("child_id"))
        out["child"] = child
        ids = child.select("_child", "child_id").unique("_child", keep="first")
    for name, frame in tables.items():
        if name in ("child", "header"):
            continue
        frame = frame.rename({k: v for k, v in _CIN_IDS.items() if k in frame.columns})
        if name in numbered and child is not None and "LAchildID" in frame.columns and "LAchildID" in child.columns:
            by_id = child.select(pl.col("LAchildID").alias("__id"), pl.col("_row").alias("__child_row"))
            frame = frame.join(by_id.unique("__id", keep="first"), left_on=pl.col("LAchildID").cast(pl.String),
                               right_on="__id", how="left")
            frame = frame.with_columns(pl.col("__child_row").alias("_row")).drop("__child_row")
        frame = frame.with_columns(pl.col("_row").alias("_child"))
        if ids is not None:
            frame = frame.join(ids, on="_child", how="left")
        elif "LAchildID" in frame.columns:
            frame = frame.with_columns(pl.col("LAchildID").cast(pl.String).alias("child_id"))
        else:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("child_id"))
        out[name] = frame
    if "header" in tables:
        out["header"] = tables["header"].with_columns(
            pl.lit(None, dtype=pl.Int64).alias("_child"), pl.lit(None, dtype=pl.String).alias("child_id"))
    return out


def _903_keys(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    out = {}
    for name, frame in tables.items():
        key = pl.col("CHILD") if "CHILD" in frame.columns else pl.lit(None, dtype=pl.String)
        out[name] = frame.with_columns(key.alias("_child"), key.alias("child_id"))
    return out


@dataclass
class RuleInput:
    """The typed tables of one return and what the checks need around them.

    Attributes:
        return_name: ``"cin"`` or ``"903"``.
        tables: typed tables by name (see the module docstring for the added columns).
        year: the collection year (ending year).
        la_code: the submitting LA's code, when known (CIN 100 compares the header's LEA with it).
        start / end: the census period (1 April to 31 March, both included); ``end`` is ReferenceDate.
    """

    return_name: ReturnName
    tables: dict[str, pl.DataFrame]
    year: int
    la_code: str | None = None
    start: date = field(init=False)
    end: date = field(init=False)
    cache: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.start, self.end = census_period(self.year)

    def has(self, reads: tuple[str, ...]) -> bool:
        """Whether every ``table.column`` in ``reads`` is present."""
        for item in reads:
            table, _, column = item.partition(".")
            frame = self.tables.get(table)
            if frame is None or (column and column not in frame.columns):
                return False
        return True

    def table(self, name: str) -> pl.DataFrame:
        """The typed table ``name`` (KeyError when absent: rules declare what they read)."""
        return self.tables[name]

    def rows(self, table: str, condition: pl.Expr) -> pl.DataFrame:
        """The rows of ``table`` where ``condition`` holds (null counts as not holding)."""
        return self.tables[table].filter(condition.fill_null(False)).select("_row", "child_id")

    def with_child(self, table: str, columns: tuple[str, ...], source: str = "child") -> pl.DataFrame:
        """``table`` with ``columns`` of the row's child (CIN ``child`` / 903 ``header``) joined on.

        A child listed twice contributes its first row (the duplicate is a rule of its own).
        """
        frame = self.tables[table]
        child = self.tables[source].select(["_child", *columns]).filter(pl.col("_child").is_not_null())
        child = child.unique("_child", keep="first", maintain_order=True)
        clash = [c for c in columns if c in frame.columns]
        child = child.rename({c: f"{c}__child" for c in clash})
        return frame.join(child, on="_child", how="left")

    def with_episode(self, table: str, columns: tuple[str, ...]) -> pl.DataFrame:
        """A CIN module table with ``columns`` of its CINdetails episode joined on (same child and episode)."""
        frame = self.tables[table]
        details = self.tables["details"].select(["_child", "cin_details_id", *columns])
        details = details.unique(["_child", "cin_details_id"], keep="first", maintain_order=True)
        clash = [c for c in columns if c in frame.columns]
        details = details.rename({c: f"{c}__episode" for c in clash})
        return frame.join(details, on=["_child", "cin_details_id"], how="left")


def prepare(return_name: ReturnName, tables: Mapping[str, pl.DataFrame], collection_year: int,
            la_code: str | None = None) -> RuleInput:
    """Type the tables of one return (see the module docstring) and wrap them for the checks."""
    known = CIN_TABLES if return_name == "cin" else SSDA903_TABLES
    raw_header: object = tables.get("header")
    if return_name == "cin" and isinstance(raw_header, Mapping):
        header = {str(k): (None if v is None else str(v)) for k, v in raw_header.items()}
        tables = {**tables, "header": pl.DataFrame([header], schema={k: pl.String for k in header})}
    if return_name == "903":  # 903 headers are DfE's upper-case names whatever case the file used
        tables = {name: frame.rename({c: c.upper() for c in frame.columns if not c.startswith("_")
                                      and c.upper() not in frame.columns})
                  for name, frame in tables.items()}
    typed = {name: _typed(frame, return_name) for name, frame in tables.items() if name in known}
    numbered = frozenset(name for name, frame in tables.items() if "_row" not in frame.columns)
    keyed = _cin_keys(typed, numbered) if return_name == "cin" else _903_keys(typed)
    return RuleInput(return_name=return_name, tables=keyed, year=collection_year, la_code=la_code)
