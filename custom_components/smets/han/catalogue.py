"""GB smart meter catalogue: SMETS2 approved meters, SMETS1 meters DCC adopts.

The data (``data/catalogue.json``) is the source document's two tables -- "SMETS
2 Meters" and "SMETS 1 Meters for adoption by DCC" -- and its SMETS1 migration
cohorts (IOC / MOC / FOC with their capability dates, as updated 2020-01-20).

:func:`lookup` takes the manufacturer and model a meter's Basic cluster reports
(attributes 0x0004 / 0x0005) and says which table row, if any, it is:

* Manufacturers match tolerant of case, spacing, punctuation, ``&`` / ``and`` /
  ``+``, company words (Limited, Ltd, UK, Meters, Metering ...) and vendor
  aliases: Elster = Honeywell = Honeywell Elster; "Secure Meters (UK) Limited" =
  Secure; "Landis & Gyr" = "Landis+Gyr" = "L+G".
* Models match tolerant of case, spacing and punctuation, from the start of the
  reported model, and may carry a suffix after a separator ("EM425-UK2 v1.2" is
  the EM425-UK2; "E470-5394-XYZ" the E470-5394). A model that is also the start
  of another catalogue model of the same vendor (the SMETS1 "E470" beside the
  SMETS2 "E470-5394") accepts only a version suffix ("E470 v2", "E470 1.3"), so
  an unknown "E470-5000" is not taken for the SMETS1 E470.
* The longest match wins. When rows still tie (Honeywell's SMETS2 "BK-G4E" and
  Elster's SMETS1 "BK-G4E"), the brand the meter reports decides; if it cannot
  (``Honeywell Elster``), ``smets_hint`` may; otherwise the answer is unknown.
* Nothing is guessed: no match gives ``smets_version="unknown"``. Only when the
  caller says the meter is SMETS1 (``smets_hint="SMETS1"``) and the model is not
  on the adoption list is the migration status ``not_on_adoption_list``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import datetime as dt
import functools
import json
from pathlib import Path
import re
from typing import Any

__all__ = [
    "MIGRATION_ELIGIBLE",
    "MIGRATION_NOT_ON_ADOPTION_LIST",
    "SMETS1",
    "SMETS2",
    "UNKNOWN",
    "CatalogueEntry",
    "CatalogueMatch",
    "MigrationCohort",
    "MigrationStatus",
    "cohorts",
    "entries",
    "lookup",
    "normalise_smets_hint",
    "render_markdown",
    "vendor_of",
]

SMETS1 = "SMETS1"
SMETS2 = "SMETS2"
UNKNOWN = "unknown"

#: The model is on the seed's "SMETS 1 Meters for adoption by DCC" table.
MIGRATION_ELIGIBLE = "eligible"
#: The caller says SMETS1, and the model is not on that table.
MIGRATION_NOT_ON_ADOPTION_LIST = "not_on_adoption_list"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One row of the seed's SMETS2 or SMETS1 table."""

    smets_version: str
    vendor: str
    manufacturer: str
    model: str
    kind: str
    meter_type: str | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MigrationCohort:
    """A DCC SMETS1 migration cohort that covers a manufacturer's meters."""

    name: str
    phase: str
    capability_date: dt.date | None
    operator: str
    note: str


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """Where a SMETS1 meter stands in the DCC enrolment and adoption.

    ``cohorts`` are those of the meter's manufacturer; an Elster / Honeywell
    meter has two (IOC if CGI Instant Energy operates it, MOC if MDS does),
    because which operator runs a meter cannot be read from the HAN.
    """

    status: str
    cohorts: tuple[MigrationCohort, ...]

    @property
    def cohort_names(self) -> tuple[str, ...]:
        """The cohort names (IOC / MOC / FOC), without repeats, in order."""
        return tuple(dict.fromkeys(cohort.name for cohort in self.cohorts))

    @property
    def capability_date(self) -> dt.date | None:
        """The earliest capability date of the cohorts, if any has one."""
        dates = [c.capability_date for c in self.cohorts if c.capability_date]
        return min(dates) if dates else None


@dataclass(frozen=True, slots=True)
class CatalogueMatch:
    """What the catalogue says about one meter.

    ``listed`` is True when the meter matched a table row (or several rows that
    agree). ``candidates`` are the rows that matched best, for diagnostics.
    """

    smets_version: str
    manufacturer: str | None
    model: str | None
    kind: str | None
    meter_type: str | None
    listed: bool
    migration: MigrationStatus | None = None
    candidates: tuple[CatalogueEntry, ...] = field(default=())

    @property
    def ambiguous(self) -> bool:
        """More than one table row matched equally well."""
        return len(self.candidates) > 1


def _data_path() -> Path:
    return Path(__file__).with_name("data") / "catalogue.json"


@dataclass(frozen=True, slots=True)
class _Catalogue:
    vendor_names: Mapping[str, str]
    vendor_aliases: Mapping[str, str]
    entries: tuple[CatalogueEntry, ...]
    cohorts: tuple[tuple[frozenset[str], MigrationCohort], ...]
    patterns: tuple[tuple[CatalogueEntry, int, bool, re.Pattern[str]], ...]


@functools.cache
def _catalogue() -> _Catalogue:
    raw: dict[str, Any] = json.loads(_data_path().read_text(encoding="utf-8"))
    vendor_names = {key: str(v["name"]) for key, v in raw["vendors"].items()}
    vendor_aliases = {
        str(alias): key for key, v in raw["vendors"].items() for alias in v["aliases"]
    }
    rows = tuple(
        CatalogueEntry(
            smets_version=str(row["smets"]),
            vendor=str(row["vendor"]),
            manufacturer=str(row["manufacturer"]),
            model=str(row["model"]),
            kind=str(row["kind"]),
            meter_type=row.get("type"),
            aliases=tuple(str(alias) for alias in row.get("aliases", ())),
        )
        for row in raw["meters"]
    )
    cohort_list = tuple(
        (
            frozenset(str(v) for v in c["vendors"]),
            MigrationCohort(
                name=str(c["cohort"]),
                phase=str(c["phase"]),
                capability_date=(
                    dt.date.fromisoformat(c["capability_date"])
                    if c["capability_date"]
                    else None
                ),
                operator=str(c["operator"]),
                note=str(c["note"]),
            ),
        )
        for c in raw["cohorts"]
    )
    return _Catalogue(
        vendor_names=vendor_names,
        vendor_aliases=vendor_aliases,
        entries=rows,
        cohorts=cohort_list,
        patterns=_build_patterns(rows),
    )


_CHUNK = re.compile(r"[A-Za-z]+|[0-9]+")
_SEP = r"[\W_]*"
_VERSION_SUFFIX = re.compile(
    r"^(?:(?:v|ver|version|rev|fw)[\W_]*\d+(?:\.\d+)*|\d+\.\d+(?:\.\d+)*)\b",
    re.IGNORECASE,
)


def _chunks(text: str) -> tuple[str, ...]:
    return tuple(chunk.upper() for chunk in _CHUNK.findall(text))


def _build_patterns(
    rows: Sequence[CatalogueEntry],
) -> tuple[tuple[CatalogueEntry, int, bool, re.Pattern[str]], ...]:
    keyed = [(row, _chunks(key)) for row in rows for key in (row.model, *row.aliases)]
    patterns = []
    for row, chunks in keyed:
        family_prefix = any(
            other.vendor == row.vendor
            and other is not row
            and len(other_chunks) > len(chunks)
            and other_chunks[: len(chunks)] == chunks
            for other, other_chunks in keyed
        )
        body = _SEP.join(re.escape(chunk) for chunk in chunks)
        pattern = re.compile(
            rf"^[\W_]*{body}(?:[\W_]+(?P<rest>.*))?$", re.IGNORECASE | re.DOTALL
        )
        patterns.append((row, len(chunks), family_prefix, pattern))
    return tuple(patterns)


_NOISE_WORDS = frozenset(
    {
        "ag",
        "and",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "group",
        "inc",
        "international",
        "limited",
        "ltd",
        "meter",
        "metering",
        "meters",
        "plc",
        "solutions",
        "systems",
        "technologies",
        "technology",
        "the",
        "uk",
    }
)


def _manufacturer_tokens(manufacturer: str) -> list[str]:
    text = manufacturer.lower().replace("&", " and ").replace("+", " and ")
    return [
        token for token in re.findall(r"[a-z0-9]+", text) if token not in _NOISE_WORDS
    ]


def vendor_of(manufacturer: str | None) -> str | None:
    """Return the catalogue's vendor key for a manufacturer name, or None."""
    if not manufacturer:
        return None
    tokens = _manufacturer_tokens(manufacturer)
    aliases = _catalogue().vendor_aliases
    for length in range(len(tokens), 0, -1):
        for start in range(len(tokens) - length + 1):
            vendor = aliases.get("".join(tokens[start : start + length]))
            if vendor is not None:
                return vendor
    return None


def normalise_smets_hint(hint: str | None) -> str | None:
    """``"SMETS1"`` / ``"SMETS2"`` from ``"smets 1"``, ``"S2"``, ``"1"`` ...; else None."""
    if hint is None:
        return None
    match = re.fullmatch(r"\s*(?:smets|s)?[\s_-]*([12])\s*", str(hint), re.IGNORECASE)
    if match is None:
        return None
    return SMETS1 if match.group(1) == "1" else SMETS2


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(str(text).replace("\x00", " ").split())
    return cleaned or None


def _vendor_cohorts(vendor: str | None) -> tuple[MigrationCohort, ...]:
    return tuple(
        cohort for vendors, cohort in _catalogue().cohorts if vendor in vendors
    )


def _best_rows(vendor: str, model: str) -> tuple[CatalogueEntry, ...]:
    best_length = 0
    best: list[CatalogueEntry] = []
    for row, length, family_prefix, pattern in _catalogue().patterns:
        if row.vendor != vendor:
            continue
        found = pattern.match(model)
        if found is None:
            continue
        rest = (found.group("rest") or "").strip()
        if rest and family_prefix and not _VERSION_SUFFIX.match(rest):
            continue
        if length > best_length:
            best_length, best = length, [row]
        elif length == best_length and row not in best:
            best.append(row)
    return tuple(best)


def _by_brand(
    rows: tuple[CatalogueEntry, ...], manufacturer: str
) -> tuple[CatalogueEntry, ...]:
    """Keep the rows whose table brand the reported manufacturer names."""
    reported = "".join(_manufacturer_tokens(manufacturer))
    named = tuple(
        row
        for row in rows
        if "".join(_manufacturer_tokens(row.manufacturer)) in reported
    )
    brands = {row.manufacturer for row in named}
    return named if len(brands) == 1 else rows


def _agree(rows: tuple[CatalogueEntry, ...]) -> bool:
    return len({(row.smets_version, row.kind, row.vendor) for row in rows}) == 1


def _common_prefix(texts: Sequence[str]) -> str:
    first, *others = texts
    length = len(first)
    for other in others:
        length = min(length, len(other))
        while first[:length].upper() != other[:length].upper():
            length -= 1
    return first[:length].rstrip(" (-:")


def _from_rows(rows: tuple[CatalogueEntry, ...], vendor: str) -> CatalogueMatch:
    first = rows[0]
    single = len(rows) == 1
    types = {row.meter_type for row in rows}
    meter_type = first.meter_type if len(types) == 1 else None
    if meter_type is None and all(types):
        meter_type = _common_prefix([t for t in (row.meter_type for row in rows) if t])
    manufacturers = {row.manufacturer for row in rows}
    migration = None
    if first.smets_version == SMETS1:
        migration = MigrationStatus(MIGRATION_ELIGIBLE, _vendor_cohorts(vendor))
    return CatalogueMatch(
        smets_version=first.smets_version,
        manufacturer=(
            first.manufacturer
            if len(manufacturers) == 1
            else _catalogue().vendor_names[vendor]
        ),
        model=first.model if single else _common_prefix([r.model for r in rows]),
        kind=first.kind,
        meter_type=meter_type or None,
        listed=True,
        migration=migration,
        candidates=rows,
    )


def lookup(
    manufacturer: str | None, model: str | None, smets_hint: str | None = None
) -> CatalogueMatch:
    """Find a meter in the catalogue by its reported manufacturer and model.

    ``smets_hint`` (``"SMETS1"`` / ``"SMETS2"``, or None) is what the caller
    knows independently of the catalogue; it narrows ties, and with
    ``"SMETS1"`` an unlisted model gets migration status
    ``not_on_adoption_list``. Never raises; never guesses.
    """
    hint = normalise_smets_hint(smets_hint)
    manufacturer_text = _clean(manufacturer)
    model_text = _clean(model)
    vendor = vendor_of(manufacturer_text)
    rows: tuple[CatalogueEntry, ...] = ()
    if vendor is not None and model_text is not None:
        rows = _best_rows(vendor, model_text)
        if len(rows) > 1 and manufacturer_text is not None:
            rows = _by_brand(rows, manufacturer_text)
        if hint is not None:
            rows = tuple(row for row in rows if row.smets_version == hint)
    if rows and vendor is not None and _agree(rows):
        return _from_rows(rows, vendor)
    if hint == SMETS1:
        return CatalogueMatch(
            smets_version=SMETS1,
            manufacturer=manufacturer_text,
            model=model_text,
            kind=None,
            meter_type=None,
            listed=False,
            migration=MigrationStatus(
                MIGRATION_NOT_ON_ADOPTION_LIST, _vendor_cohorts(vendor)
            ),
        )
    return CatalogueMatch(
        smets_version=hint or UNKNOWN,
        manufacturer=manufacturer_text,
        model=model_text,
        kind=None,
        meter_type=None,
        listed=False,
        candidates=rows,
    )


def entries() -> tuple[CatalogueEntry, ...]:
    """Every row of both tables, SMETS2 first, in the seed's order."""
    return _catalogue().entries


def cohorts() -> tuple[MigrationCohort, ...]:
    """Return the SMETS1 migration cohorts, in the seed's order."""
    return tuple(cohort for _, cohort in _catalogue().cohorts)


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|")


def render_markdown() -> str:
    """Render the catalogue as Markdown tables (SMETS2, SMETS1, cohorts)."""
    lines = [
        "### SMETS2 approved meters",
        "",
        "| Manufacturer | Model | ESME / GSME | Type |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {_md(e.manufacturer)} | {_md(e.model)} | {e.kind} | {_md(e.meter_type)} |"
        for e in entries()
        if e.smets_version == SMETS2
    ]
    lines += [
        "",
        "### SMETS1 meters for adoption by DCC",
        "",
        "| Manufacturer | Model | ESME / GSME | Migration cohort |",
        "|---|---|---|---|",
    ]
    for e in entries():
        if e.smets_version != SMETS1:
            continue
        names = ", ".join(dict.fromkeys(c.name for c in _vendor_cohorts(e.vendor)))
        lines.append(f"| {_md(e.manufacturer)} | {_md(e.model)} | {e.kind} | {names} |")
    lines += [
        "",
        "### SMETS1 migration cohorts (dates as proposed, updated 2020-01-20)",
        "",
        "| Cohort | Capability from | Meters | Operator |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {c.name} ({c.phase}) | "
        f"{c.capability_date.isoformat() if c.capability_date else 'no date'} | "
        f"{_md(c.note)} | {_md(c.operator)} |"
        for c in cohorts()
    ]
    return "\n".join(lines) + "\n"
