"""Every DfE rule code the reference lists, for coverage figures and the generated docs.

One line per code: return, code, group (CIN: ``census`` or ``draft-2026-27``; SSDA903: the table,
``Header/Episodes`` for the 152 rules on those tables), first and last collection year in force
(ending year, ``-`` = open) and, for SSDA903 header/episode rules, the data needed (T this year, L last
year's return, P postcode-derived fields, O Ofsted's provider list, A the submitting LA's code).
Generated from ``shared/reference/dfe-validation-rules.md`` §2 and §3; a test checks it against the
reference when the reference is present.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.validation.dfe.rule import DFE_RULES

__all__ = ["CATALOGUE", "CatalogueEntry", "Coverage", "coverage", "not_implemented"]


@dataclass(frozen=True)
class CatalogueEntry:
    """One DfE rule code as the reference lists it."""

    return_name: str
    code: str
    group: str
    first_year: int | None
    last_year: int | None
    data: str

    def in_force(self, collection_year: int) -> bool:
        """Whether the code is in DfE's rule set for ``collection_year``."""
        if self.first_year is not None and collection_year < self.first_year:
            return False
        return self.last_year is None or collection_year <= self.last_year


_LINES = """
cin 1510 census - - -
cin 1520 census - - -
cin 1530 census - - -
cin 1540 census - - -
cin 1550 census - - -
cin 1560Q census - - -
cin 1570 census 2025 - -
cin 1580 census 2025 - -
cin 8500 census - - -
cin 8510 census - - -
cin 8770Q census - - -
cin 8772 census - - -
cin 8520 census - - -
cin 8525Q census - - -
cin 8530Q census - - -
cin 8535Q census - - -
cin 8606 census - - -
cin 8750 census - - -
cin 8775Q census - - -
cin 8590 census - - -
cin 8600 census - - -
cin 8620 census - - -
cin 8630 census - - -
cin 8805 census - - -
cin 8810 census - - -
cin 8640 census - - -
cin 8650 census - - -
cin 8866 census - - -
cin 8815 census - - -
cin 8816 census - - -
cin 8820 census - - -
cin 8565 census - - -
cin 1105 census - - -
cin 2883 census - - -
cin 2885 census - - -
cin 8720 census - - -
cin 8730 census - - -
cin 8840 census - - -
cin 8905 census - - -
cin 8910 census - - -
cin 8925 census - - -
cin 8930 census - - -
cin 8935 census - - -
cin 8940 census - - -
cin 4015 census - - -
cin 4010 census - - -
cin 4011 census - - -
cin 4012Q census - - -
cin 4013 census - - -
cin 4004 census - - -
cin 4014 census - - -
cin 4001 census - - -
cin 4016 census - - -
cin 4017 census - - -
cin 8545Q census - - -
cin 8555Q census - - -
cin 8585Q census - - -
cin 4008 census - - -
cin 4009Q census - - -
cin 8915 census - - -
cin 8920 census - - -
cin 8568 census - - -
cin 8569Q census - - -
cin 8610 census - - -
cin 8831 census - - -
cin 8832 census - - -
cin 4000 census - - -
cin 8540 census - - -
cin 8790 census - - -
cin 8794 census - - -
cin 2887Q census - - -
cin 2888Q census - - -
cin 8841 census - - -
cin 8842Q census - - -
cin 4003 census - - -
cin 100 census - - -
cin 2990 census - - -
cin 8825Q census - - -
cin 8873Q census - - -
cin 1103 census - - -
cin 8608 census - - -
cin 8614 census - - -
cin 8670Q census - - -
cin 8696 census - - -
cin 8736 census - - -
cin 8863Q census - - -
cin 8867 census - - -
cin 8869 census - - -
cin 8896 census - - -
cin 8897Q census - - -
cin 8898 census - - -
cin 8945Q census 2025 - -
cin 8950Q census 2025 - -
cin 2991Q census - - -
cin 2889 census - - -
cin 1104 census - - -
cin 2884 census - - -
cin 8615 census - - -
cin 8675Q census - - -
cin 8715 census - - -
cin 8740 census - - -
cin 8839 census - - -
cin 8868 census - - -
cin 8870Q census - - -
cin 8875 census - - -
cin 8890 census - - -
cin 4180 census - - -
cin 2886Q census - - -
cin 4220 census - - -
cin 8995Q draft-2026-27 2027 - -
cin 9000Q draft-2026-27 2027 - -
cin 9005 draft-2026-27 2027 - -
cin 9006 draft-2026-27 2027 - -
cin 9007 draft-2026-27 2027 - -
cin 9008 draft-2026-27 2027 - -
cin 9009 draft-2026-27 2027 - -
cin 9010Q draft-2026-27 2027 - -
cin 9011 draft-2026-27 2027 - -
cin 9012 draft-2026-27 2027 - -
cin 9013 draft-2026-27 2027 - -
cin 9015Q draft-2026-27 2027 - -
903 168 Header/Episodes - - T
903 442 Header/Episodes - - T
903 444 Header/Episodes 2026 - T
903 209 Header/Episodes - - T
903 210 Header/Episodes - - T
903 208 Header/Episodes - - L
903 202 Header/Episodes - - L
903 203 Header/Episodes - - L
903 204 Header/Episodes - - L
903 INT32 Header/Episodes - - T
903 INT03 Header/Episodes - - T
903 EPI Header/Episodes - - T
903 1012 Header/Episodes - - T
903 102 Header/Episodes - - T
903 301 Header/Episodes - - T
903 302 Header/Episodes - - T
903 351 Header/Episodes - - T
903 352 Header/Episodes - - T
903 358 Header/Episodes - - T
903 359 Header/Episodes - - T
903 370 Header/Episodes - 2024 T
903 371 Header/Episodes - - T
903 372 Header/Episodes - - T
903 373 Header/Episodes - - T
903 374 Header/Episodes - - T
903 386 Header/Episodes - - T
903 387 Header/Episodes - - T
903 389 Header/Episodes - - T
903 407 Header/Episodes - - T
903 460 Header/Episodes - - T
903 231 Header/Episodes 2025 - T
903 234 Header/Episodes 2026 - T
903 141 Header/Episodes - - T
903 147 Header/Episodes - - T
903 148 Header/Episodes - - T
903 142 Header/Episodes - - T
903 353 Header/Episodes - - T
903 354 Header/Episodes - - T
903 385 Header/Episodes - - T
903 355 Header/Episodes - - T
903 356 Header/Episodes - - T
903 501 Header/Episodes - - T
903 357 Header/Episodes - - T
903 388 Header/Episodes - - T
903 431 Header/Episodes - - T
903 432 Header/Episodes - - T
903 433 Header/Episodes - - T
903 434 Header/Episodes - - T
903 435 Header/Episodes - - T
903 436 Header/Episodes - - T
903 504 Header/Episodes - - T
903 502 Header/Episodes - - L
903 503A Header/Episodes - - L
903 503B Header/Episodes - - L
903 503C Header/Episodes - - L
903 503D Header/Episodes - - L
903 503E Header/Episodes - - L
903 503F Header/Episodes - - L
903 503G Header/Episodes - - L,P
903 503H Header/Episodes - - L,P
903 503J Header/Episodes - - L,P
903 452 Header/Episodes - - L,P
903 453 Header/Episodes - - L,P
903 562 Header/Episodes - - L
903 NoE Header/Episodes - - L
903 437 Header/Episodes - - T
903 199 Header/Episodes - - T(Loptional)
903 390 Header/Episodes - - T
903 516 Header/Episodes - - T
903 144 Header/Episodes - - T
903 445 Header/Episodes - 2024 T
903 446 Header/Episodes - - T
903 451 Header/Episodes - 2024 T
903 361 Header/Episodes - - T
903 362 Header/Episodes - - T
903 363 Header/Episodes - - T
903 364 Header/Episodes - - T
903 365 Header/Episodes - - T
903 366 Header/Episodes - - T
903 367 Header/Episodes - - T
903 426 Header/Episodes - - T
903 378 Header/Episodes - - T
903 382 Header/Episodes - - T
903 384 Header/Episodes - - T
903 408 Header/Episodes - - T
903 146 Header/Episodes - - T
903 217 Header/Episodes - - T
903 217t Header/Episodes 2024 2024 T
903 336 Header/Episodes - - T
903 375 Header/Episodes - - T
903 376 Header/Episodes - - T
903 377 Header/Episodes - - T
903 379 Header/Episodes - - T
903 380 Header/Episodes - - T
903 381 Header/Episodes - - T
903 383 Header/Episodes - - T
903 1009 Header/Episodes - - T
903 225 Header/Episodes - - T
903 226 Header/Episodes - - T
903 233 Header/Episodes 2026 - T
903 178 Header/Episodes - - T
903 213 Header/Episodes - - T
903 526 Header/Episodes - - T
903 527 Header/Episodes - - T
903 528 Header/Episodes - - T
903 529 Header/Episodes - - T
903 530 Header/Episodes - - T
903 531 Header/Episodes - - T
903 550 Header/Episodes - - T
903 1015 Header/Episodes - - T,P,A
903 229 Header/Episodes - - O,A
903 218 Header/Episodes - - T,P
903 222 Header/Episodes - - T
903 230 Header/Episodes 2024 2024 T,P
903 214 Header/Episodes - - T
903 1008 Header/Episodes - - O
903 219 Header/Episodes - - O
903 221 Header/Episodes - - O
903 224 Header/Episodes - - O
903 227 Header/Episodes - - O
903 228 Header/Episodes - - O
903 392b Header/Episodes - - T(Loptional)
903 392c Header/Episodes - - T,P
903 392d Header/Episodes - - T
903 398 Header/Episodes - - T
903 169 Header/Episodes - - P
903 179 Header/Episodes - - P
903 411 Header/Episodes - - P,A
903 420 Header/Episodes - - P
903 392a Header/Episodes - - P(Loptional)
903 164 Header/Episodes - - P(Loptional)
903 406 Header/Episodes - - P(Loptional)
903 454 Header/Episodes 2026 - P
903 101 Header/Episodes - - T
903 232 Header/Episodes 2025 - T
903 103 Header/Episodes - - T
903 105 Header/Episodes - - T
903 143 Header/Episodes - - T
903 145 Header/Episodes - - T
903 149 Header/Episodes - - T
903 171 Header/Episodes - - T
903 174 Header/Episodes - - T
903 393 Header/Episodes - - T
903 607 Header/Episodes - - T
903 611 Header/Episodes - - T
903 612 Header/Episodes - - T
903 620 Header/Episodes - - T
903 621 Header/Episodes - - T
903 625 Header/Episodes - - T
903 207 Header/Episodes - - L
903 624 Header/Episodes - - L
903 626 Header/Episodes - - L
903 166 Reviews - - -
903 167 Reviews - - -
903 440 Reviews - - -
903 441 Reviews - - -
903 399 Reviews - - -
903 INT08 Reviews - - -
903 INT17 Reviews - - -
903 104 UASC - - -
903 303 UASC - - -
903 304 UASC - - -
903 205A UASC - - -
903 205B UASC - - -
903 205C UASC - - -
903 205D UASC - - -
903 1014 UASC - - -
903 INT09 UASC - - -
903 INT18 UASC - - -
903 INT21 UASC - - -
903 INT36 UASC - - -
903 180 OC2 - - -
903 181 OC2 - - -
903 182 OC2 - - -
903 157 OC2 - - -
903 185 OC2 - - -
903 186 OC2 - - -
903 188 OC2 - - -
903 189 OC2 - - -
903 190 OC2 - - -
903 191 OC2 - - -
903 192 OC2 - - -
903 193 OC2 - - -
903 158 OC2 - - -
903 159 OC2 - - -
903 196 OC2 - - -
903 197a OC2 - - -
903 197B OC2 - - -
903 198 OC2 - - -
903 542 OC2 - - -
903 543 OC2 - - -
903 544 OC2 - - -
903 545 OC2 - - -
903 546 OC2 - - -
903 547 OC2 - - -
903 215 OC2 - - -
903 INT05 OC2 - - -
903 INT14 OC2 - - -
903 INT33 OC2 - - -
903 131 OC3 - - -
903 132 OC3 - - -
903 133 OC3 - - -
903 153 OC3 - - -
903 344 OC3 - - -
903 345 OC3 - - -
903 347 OC3 2024 - -
903 348 OC3 2026 - -
903 391 OC3 - - -
903 3001 OC3 - - -
903 1000 OC3 - - -
903 1001 OC3 - - -
903 1002 OC3 - - -
903 1007 OC3 - - -
903 1010 OC3 - - -
903 1011 OC3 - - -
903 1016 OC3 2024 - -
903 165 OC3 - - -
903 628 OC3 - - -
903 134 OC3 - - -
903 187 OC3 - - -
903 INT06 OC3 - - -
903 INT15 OC3 - - -
903 INT34 OC3 - - -
903 112 AD1 - - -
903 113 AD1 - - -
903 114 AD1 - - -
903 151 AD1 - - -
903 175 AD1 - - -
903 176 AD1 - - -
903 177 AD1 - - -
903 333 AD1 - - -
903 331 AD1 - - -
903 334 AD1 - - -
903 335 AD1 - - -
903 511 AD1 - - -
903 514 AD1 - - -
903 517 AD1 - - -
903 518 AD1 - - -
903 519 AD1 - - -
903 520 AD1 - - -
903 524 AD1 - - -
903 521 AD1 - - -
903 582 AD1 - - -
903 601 AD1 - - -
903 602 AD1 - - -
903 INT01 AD1 - - -
903 INT11 AD1 - - -
903 INT31 AD1 - - -
903 115 PlacedAdoption - - -
903 116 PlacedAdoption - - -
903 117 PlacedAdoption - - -
903 118 PlacedAdoption - - -
903 119 PlacedAdoption - - -
903 120 PlacedAdoption - - -
903 184 PlacedAdoption - - -
903 522 PlacedAdoption - - -
903 523 PlacedAdoption - - -
903 525 PlacedAdoption - - -
903 563 PlacedAdoption - - -
903 579 PlacedAdoption - - -
903 583 PlacedAdoption - - -
903 1003 PlacedAdoption - - -
903 551 PlacedAdoption - - -
903 552 PlacedAdoption - - -
903 553 PlacedAdoption - - -
903 554 PlacedAdoption - - -
903 555 PlacedAdoption - 2024 -
903 556 PlacedAdoption - 2024 -
903 557 PlacedAdoption - - -
903 558 PlacedAdoption - - -
903 559 PlacedAdoption - - -
903 560 PlacedAdoption - - -
903 561 PlacedAdoption - - -
903 584 PlacedAdoption - - -
903 INT02 PlacedAdoption - - -
903 INT12 PlacedAdoption - - -
903 631 PrevPerm - - -
903 632 PrevPerm - - -
903 633 PrevPerm - - -
903 635 PrevPerm - - -
903 630 PrevPerm - - -
903 634 PrevPerm - - -
903 INT07 PrevPerm - - -
903 INT16 PrevPerm - - -
903 INT35 PrevPerm - - -
903 1004 Missing - - -
903 1005 Missing - - -
903 1006 Missing - - -
903 564 Missing - - -
903 565 Missing - - -
903 566 Missing - - -
903 567 Missing - - -
903 570 Missing - - -
903 571 Missing - - -
903 574 Missing - - -
903 586 Missing - - -
903 575 Missing - - -
903 577 Missing - - -
903 578 Missing - - -
903 580 Missing - - -
903 581 Missing - - -
903 576 Missing - - -
903 INT04 Missing - - -
903 INT13 Missing - - -
903 SW01STG1 SWEpisodes 2024 2024 -
903 SW01aSTG1 SWEpisodes 2025 - -
903 SW01bSTG1 SWEpisodes 2025 - -
903 SW02STG1 SWEpisodes 2024 - -
903 SW03STG1 SWEpisodes 2024 2024 -
903 SW04STG1 SWEpisodes 2024 - -
903 SW05STG1 SWEpisodes 2024 - -
903 SW06STG2 SWEpisodes 2024 - -
903 SW07STG2 SWEpisodes 2024 - -
903 SW08STG2 SWEpisodes 2024 - -
903 SW09STG2 SWEpisodes 2024 - -
903 SW10STG2 SWEpisodes 2024 - -
903 SW11aSTG2 SWEpisodes 2024 2024 -
903 SW11bSTG2 SWEpisodes 2024 - -
903 SW12STG2 SWEpisodes 2024 - -
903 SW13STG1 SWEpisodes 2024 - -
903 SW14STG2 SWEpisodes 2024 2024 -
903 SW17STG2 SWEpisodes 2026 - -
903 700 DoLo - - -
903 701 DoLo - - -
903 702 DoLo - - -
903 703 DoLo - - -
903 704 DoLo - - -
903 705 DoLo - - -
903 706 DoLo - - -
903 707 DoLo - - -
903 708 DoLo - - -
903 709 DoLo - - -
903 710 DoLo - - -
"""


def _parse(text: str) -> tuple[CatalogueEntry, ...]:
    out = []
    for line in text.strip().splitlines():
        ret, code, group, first, last, data = line.split(" ")
        out.append(CatalogueEntry(ret, code, group, None if first == "-" else int(first),
                                  None if last == "-" else int(last), "" if data == "-" else data))
    return tuple(out)


CATALOGUE: tuple[CatalogueEntry, ...] = _parse(_LINES)
"""Every code of the reference: 109 CIN 2024-25 codes, 12 draft 2026-27 CIN codes, 333 SSDA903 codes."""


@dataclass(frozen=True)
class Coverage:
    """Implemented / total DfE codes of one return, group and collection year."""

    return_name: str
    group: str
    collection_year: int
    implemented: int
    total: int

    @property
    def share(self) -> float:
        return self.implemented / self.total if self.total else 1.0


def _implemented(return_name: str, collection_year: int) -> set[str]:
    return {r.code for r in DFE_RULES.values() if r.return_name == return_name and r.applies_to(collection_year)}


def coverage(return_name: str, group: str, collection_year: int) -> Coverage:
    """How many of DfE's codes of ``group`` in force in ``collection_year`` have a registered rule.

    Example: ``coverage("cin", "census", 2025)`` counts the 109 codes of the 2024-25 CIN census.
    """
    codes = {e.code for e in CATALOGUE if e.return_name == return_name and e.group == group
             and e.in_force(collection_year)}
    done = codes & _implemented(return_name, collection_year)
    return Coverage(return_name, group, collection_year, len(done), len(codes))


def not_implemented(return_name: str, group: str, collection_year: int) -> list[CatalogueEntry]:
    """The codes of ``group`` in force in ``collection_year`` that no registered rule implements."""
    done = _implemented(return_name, collection_year)
    return [e for e in CATALOGUE if e.return_name == return_name and e.group == group
            and e.in_force(collection_year) and e.code not in done]
