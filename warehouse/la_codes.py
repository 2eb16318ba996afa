"""Every English local authority's DfE 3-digit code (the old LEA number), with the 2023 reorganisations.

From ``shared/reference/dfe-validation-rules.md`` §4.3.1 (names from the Edubase list). A code is *current*
or *abolished*; abolished codes stay valid in LA files because old UPNs and older returns keep them
(Cumbria 909 became Cumberland 942 and Westmorland and Furness 943 on 1 April 2023; North Yorkshire 815
and Somerset 933 became unitary councils and kept their codes). Which LAs belong to the study's sites is
configuration (:mod:`warehouse.sites`), not this list: an LA file from any English LA loads.

Example:
    >>> ENGLISH_LA_CODES["942"].name, is_english_la("975"), is_english_la("909")
    ('Cumberland', False, True)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENGLISH_LA_CODES", "EnglishLA", "is_english_la", "la_name"]


@dataclass(frozen=True)
class EnglishLA:
    """An English local authority code: its name and whether the council still exists under it."""

    code: str
    name: str
    current: bool
    note: str = ""


_LIST: tuple[EnglishLA, ...] = (
    EnglishLA("201", 'City of London', True),
    EnglishLA("202", 'Camden', True),
    EnglishLA("203", 'Greenwich', True),
    EnglishLA("204", 'Hackney', True),
    EnglishLA("205", 'Hammersmith and Fulham', True),
    EnglishLA("206", 'Islington', True),
    EnglishLA("207", 'Kensington and Chelsea', True),
    EnglishLA("208", 'Lambeth', True),
    EnglishLA("209", 'Lewisham', True),
    EnglishLA("210", 'Southwark', True),
    EnglishLA("211", 'Tower Hamlets', True),
    EnglishLA("212", 'Wandsworth', True),
    EnglishLA("213", 'Westminster', True),
    EnglishLA("301", 'Barking and Dagenham', True),
    EnglishLA("302", 'Barnet', True),
    EnglishLA("303", 'Bexley', True),
    EnglishLA("304", 'Brent', True),
    EnglishLA("305", 'Bromley', True),
    EnglishLA("306", 'Croydon', True),
    EnglishLA("307", 'Ealing', True),
    EnglishLA("308", 'Enfield', True),
    EnglishLA("309", 'Haringey', True),
    EnglishLA("310", 'Harrow', True),
    EnglishLA("311", 'Havering', True),
    EnglishLA("312", 'Hillingdon', True),
    EnglishLA("313", 'Hounslow', True),
    EnglishLA("314", 'Kingston upon Thames', True),
    EnglishLA("315", 'Merton', True),
    EnglishLA("316", 'Newham', True),
    EnglishLA("317", 'Redbridge', True),
    EnglishLA("318", 'Richmond upon Thames', True),
    EnglishLA("319", 'Sutton', True),
    EnglishLA("320", 'Waltham Forest', True),
    EnglishLA("330", 'Birmingham', True),
    EnglishLA("331", 'Coventry', True),
    EnglishLA("332", 'Dudley', True),
    EnglishLA("333", 'Sandwell', True),
    EnglishLA("334", 'Solihull', True),
    EnglishLA("335", 'Walsall', True),
    EnglishLA("336", 'Wolverhampton', True),
    EnglishLA("340", 'Knowsley', True),
    EnglishLA("341", 'Liverpool', True),
    EnglishLA("342", 'St. Helens', True),
    EnglishLA("343", 'Sefton', True),
    EnglishLA("344", 'Wirral', True),
    EnglishLA("350", 'Bolton', True),
    EnglishLA("351", 'Bury', True),
    EnglishLA("352", 'Manchester', True),
    EnglishLA("353", 'Oldham', True),
    EnglishLA("354", 'Rochdale', True),
    EnglishLA("355", 'Salford', True),
    EnglishLA("356", 'Stockport', True),
    EnglishLA("357", 'Tameside', True),
    EnglishLA("358", 'Trafford', True),
    EnglishLA("359", 'Wigan', True),
    EnglishLA("370", 'Barnsley', True),
    EnglishLA("371", 'Doncaster', True),
    EnglishLA("372", 'Rotherham', True),
    EnglishLA("373", 'Sheffield', True),
    EnglishLA("380", 'Bradford', True),
    EnglishLA("381", 'Calderdale', True),
    EnglishLA("382", 'Kirklees', True),
    EnglishLA("383", 'Leeds', True),
    EnglishLA("384", 'Wakefield', True),
    EnglishLA("390", 'Gateshead', True),
    EnglishLA("391", 'Newcastle upon Tyne', True),
    EnglishLA("392", 'North Tyneside', True),
    EnglishLA("393", 'South Tyneside', True),
    EnglishLA("394", 'Sunderland', True),
    EnglishLA("420", 'Isles of Scilly', True),
    EnglishLA("800", 'Bath and North East Somerset', True),
    EnglishLA("801", 'Bristol, City of', True),
    EnglishLA("802", 'North Somerset', True),
    EnglishLA("803", 'South Gloucestershire', True),
    EnglishLA("805", 'Hartlepool', True),
    EnglishLA("806", 'Middlesbrough', True),
    EnglishLA("807", 'Redcar and Cleveland', True),
    EnglishLA("808", 'Stockton-on-Tees', True),
    EnglishLA("810", 'Kingston upon Hull, City of', True),
    EnglishLA("811", 'East Riding of Yorkshire', True),
    EnglishLA("812", 'North East Lincolnshire', True),
    EnglishLA("813", 'North Lincolnshire', True),
    EnglishLA("815", 'North Yorkshire', True, 'current; became a unitary council on 1 April 2023 and kept code 815'),
    EnglishLA("816", 'York', True),
    EnglishLA("820", 'Bedfordshire', False, 'abolished 2009"); replaced by 822, 823'),
    EnglishLA("821", 'Luton', True),
    EnglishLA("822", 'Bedford', True),
    EnglishLA("823", 'Central Bedfordshire', True),
    EnglishLA("825", 'Buckinghamshire', True, 'current (unitary from 2020, same code)'),
    EnglishLA("826", 'Milton Keynes', True),
    EnglishLA("830", 'Derbyshire', True),
    EnglishLA("831", 'Derby', True),
    EnglishLA("835", 'Dorset (county)', False, 'abolished 2019; replaced by 838'),
    EnglishLA("836", 'Poole', False, 'abolished 2019; merged into 839'),
    EnglishLA("837", 'Bournemouth', False, 'abolished 2019; merged into 839'),
    EnglishLA("838", 'Dorset (unitary, from 2019)', True),
    EnglishLA("839", 'Bournemouth, Christchurch and Poole', True),
    EnglishLA("840", 'Durham (County Durham)', True),
    EnglishLA("841", 'Darlington', True),
    EnglishLA("845", 'East Sussex', True),
    EnglishLA("846", 'Brighton and Hove', True),
    EnglishLA("850", 'Hampshire', True),
    EnglishLA("851", 'Portsmouth', True),
    EnglishLA("852", 'Southampton', True),
    EnglishLA("855", 'Leicestershire', True),
    EnglishLA("856", 'Leicester', True),
    EnglishLA("857", 'Rutland', True),
    EnglishLA("860", 'Staffordshire', True),
    EnglishLA("861", 'Stoke-on-Trent', True),
    EnglishLA("865", 'Wiltshire', True),
    EnglishLA("866", 'Swindon', True),
    EnglishLA("867", 'Bracknell Forest', True),
    EnglishLA("868", 'Windsor and Maidenhead', True),
    EnglishLA("869", 'West Berkshire', True),
    EnglishLA("870", 'Reading', True),
    EnglishLA("871", 'Slough', True),
    EnglishLA("872", 'Wokingham', True),
    EnglishLA("873", 'Cambridgeshire', True),
    EnglishLA("874", 'Peterborough', True),
    EnglishLA("875", 'Cheshire', False, 'abolished 2009"); replaced by 895, 896'),
    EnglishLA("876", 'Halton', True),
    EnglishLA("877", 'Warrington', True),
    EnglishLA("878", 'Devon', True),
    EnglishLA("879", 'Plymouth', True),
    EnglishLA("880", 'Torbay', True),
    EnglishLA("881", 'Essex', True),
    EnglishLA("882", 'Southend-on-Sea', True),
    EnglishLA("883", 'Thurrock', True),
    EnglishLA("884", 'Herefordshire', True),
    EnglishLA("885", 'Worcestershire', True),
    EnglishLA("886", 'Kent', True),
    EnglishLA("887", 'Medway', True),
    EnglishLA("888", 'Lancashire', True),
    EnglishLA("889", 'Blackburn with Darwen', True),
    EnglishLA("890", 'Blackpool', True),
    EnglishLA("891", 'Nottinghamshire', True),
    EnglishLA("892", 'Nottingham', True),
    EnglishLA("893", 'Shropshire', True),
    EnglishLA("894", 'Telford and Wrekin', True),
    EnglishLA("895", 'Cheshire East', True),
    EnglishLA("896", 'Cheshire West and Chester', True),
    EnglishLA("908", 'Cornwall', True),
    EnglishLA("909", 'Cumbria', False, 'abolished 31 March 2023; replaced by 942 and 943'),
    EnglishLA("916", 'Gloucestershire', True),
    EnglishLA("919", 'Hertfordshire', True),
    EnglishLA("921", 'Isle of Wight', True),
    EnglishLA("925", 'Lincolnshire', True),
    EnglishLA("926", 'Norfolk', True),
    EnglishLA("928", 'Northamptonshire', False, 'abolished 2021; replaced by 940 and 941'),
    EnglishLA("929", 'Northumberland', True),
    EnglishLA("931", 'Oxfordshire', True),
    EnglishLA("933", 'Somerset', True, 'current; became a unitary council on 1 April 2023 and kept code 933'),
    EnglishLA("935", 'Suffolk', True),
    EnglishLA("936", 'Surrey', True),
    EnglishLA("937", 'Warwickshire', True),
    EnglishLA("938", 'West Sussex', True),
    EnglishLA("940", 'North Northamptonshire', True, 'current from 2021'),
    EnglishLA("941", 'West Northamptonshire', True, 'current from 2021'),
    EnglishLA("942", 'Cumberland', True, 'current from 1 April 2023'),
    EnglishLA("943", 'Westmorland and Furness', True, 'current from 1 April 2023'),
)

ENGLISH_LA_CODES: dict[str, EnglishLA] = {la.code: la for la in _LIST}
"""Every English LA code, current or abolished, by code."""


def is_english_la(code: object) -> bool:
    """Whether ``code`` (any spacing) is an English LA's DfE code."""
    return str(code).strip() in ENGLISH_LA_CODES


def la_name(code: str) -> str:
    """The LA's name, or ``"LA <code>"`` for a code outside the list."""
    la = ENGLISH_LA_CODES.get(str(code).strip())
    return la.name if la else f"LA {code}"
