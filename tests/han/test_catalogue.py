"""Tests for the SMETS1/SMETS2 meter catalogue and DCC migration cohorts."""

import datetime as dt

import pytest

from custom_components.smets.han.catalogue import (
    MIGRATION_ELIGIBLE,
    MIGRATION_NOT_ON_ADOPTION_LIST,
    SMETS1,
    SMETS2,
    UNKNOWN,
    cohorts,
    entries,
    lookup,
    normalise_smets_hint,
    render_markdown,
    vendor_of,
)

#: Rows of the seed's "SMETS 2 Meters" and "SMETS 1 Meters for adoption by DCC".
SEED_SMETS2 = [
    ("Aclara", "SGM1412", "ESME"),
    ("Aclara", "SGM1412B", "ESME"),
    ("EDMI", "ES-10A", "ESME"),
    ("EDMI", "GS-60A", "GSME"),
    ("EDMI", "GS-60B", "GSME"),
    ("Flonidan", "G4SZV-1", "GSME"),
    ("GWI", "G4-MG-SE-GM-V2 FVI", "GSME"),
    ("GWI", "G4-MG-SE-GM-V2 TVI", "GSME"),
    ("Honeywell", "AS302P (BBBBBSYAHA-P)", "ESME"),
    ("Honeywell", "BK-G4E", "GSME"),
    ("Itron", "EM425-UK2", "ESME"),
    ("Kaifa", "MA120", "ESME"),
    ("Landis & Gyr", "E470-5394", "ESME"),
    ("Landis & Gyr", "E470-5424", "ESME"),
    ("Landis & Gyr", "G470-672", "GSME"),
]
SEED_SMETS1 = [
    ("Elster", "AS 300P", "ESME"),
    ("Elster", "BK-G4E", "GSME"),
    ("Itron", "EM425-UK", "ESME"),
    ("Itron", "RF1 sV ZB", "GSME"),
    ("Landis & Gyr", "E470", "ESME"),
    ("Landis & Gyr", "G370", "GSME"),
    ("Landis & Gyr", "G470", "GSME"),
    ("Secure Meters (UK) Limited", "EG4v10", "GSME"),
    ("Secure Meters (UK) Limited", "Liberty 100", "ESME"),
    ("Secure Meters (UK) Limited", "Liberty 110 (Single Element)", "ESME"),
    ("Secure Meters (UK) Limited", "Liberty 110 (Twin Element)", "ESME"),
]


def test_catalogue_holds_the_seed_tables_in_order() -> None:
    rows = entries()
    assert [
        (e.manufacturer, e.model, e.kind) for e in rows if e.smets_version == SMETS2
    ] == SEED_SMETS2
    assert [
        (e.manufacturer, e.model, e.kind) for e in rows if e.smets_version == SMETS1
    ] == SEED_SMETS1
    assert all(e.meter_type for e in rows if e.smets_version == SMETS2)
    assert all(e.meter_type is None for e in rows if e.smets_version == SMETS1)


@pytest.mark.parametrize(("manufacturer", "model", "kind"), SEED_SMETS2)
def test_every_smets2_row_is_found_as_written(
    manufacturer: str, model: str, kind: str
) -> None:
    match = lookup(manufacturer, model)
    assert match.smets_version == SMETS2
    assert (match.manufacturer, match.model, match.kind) == (manufacturer, model, kind)
    assert match.listed
    assert match.migration is None
    assert not match.ambiguous


@pytest.mark.parametrize(("manufacturer", "model", "kind"), SEED_SMETS1)
def test_every_smets1_row_is_found_as_written(
    manufacturer: str, model: str, kind: str
) -> None:
    match = lookup(manufacturer, model)
    assert match.smets_version == SMETS1
    assert (match.manufacturer, match.model, match.kind) == (manufacturer, model, kind)
    assert match.migration is not None
    assert match.migration.status == MIGRATION_ELIGIBLE


@pytest.mark.parametrize(
    ("manufacturer", "model", "expected_model"),
    [
        ("ITRON", "em425-uk2", "EM425-UK2"),
        ("Itron Metering Solutions UK Ltd", "EM425-UK2 v1.2", "EM425-UK2"),
        ("Landis+Gyr", "E470-5394-XYZ", "E470-5394"),
        ("L+G", "E470 5424", "E470-5424"),
        ("Landis and Gyr Limited", "G470-672", "G470-672"),
        ("Shenzhen Kaifa Technology", "MA120", "MA120"),
        ("  honeywell  ", "AS302P", "AS302P (BBBBBSYAHA-P)"),
        ("Honeywell", "BBBBBSYAHA-P", "AS302P (BBBBBSYAHA-P)"),
        ("Aclara Technologies", "SGM1412B", "SGM1412B"),
        ("aclara", "SGM1412", "SGM1412"),
        ("EDMI Limited", "ES10A", "ES-10A"),
        ("Flonidan", "G4SZV1", "G4SZV-1"),
    ],
)
def test_smets2_lookup_is_tolerant(
    manufacturer: str, model: str, expected_model: str
) -> None:
    match = lookup(manufacturer, model)
    assert match.smets_version == SMETS2
    assert match.model == expected_model


@pytest.mark.parametrize(
    ("manufacturer", "model", "expected_model"),
    [
        ("Landis & Gyr", "E470", "E470"),
        ("Landis+Gyr", "e470 v2.1", "E470"),
        ("LANDIS + GYR", "E470 1.3", "E470"),
        ("Elster", "AS300P", "AS 300P"),
        ("Elster Metering Ltd", "as-300p", "AS 300P"),
        ("Itron", "EM425-UK", "EM425-UK"),
        ("Itron", "EM425 UK fw 3", "EM425-UK"),
        ("Itron", "RF1 SV ZB", "RF1 sV ZB"),
        ("Secure", "EG4 V10", "EG4v10"),
        ("Secure Meters", "Liberty 110 twin element", "Liberty 110 (Twin Element)"),
        ("Secure Meters Ltd", "Liberty100", "Liberty 100"),
    ],
)
def test_smets1_lookup_is_tolerant(
    manufacturer: str, model: str, expected_model: str
) -> None:
    match = lookup(manufacturer, model)
    assert match.smets_version == SMETS1
    assert match.model == expected_model


@pytest.mark.parametrize(
    ("manufacturer", "model"),
    [
        ("Landis & Gyr", "E470-5000"),  # not the SMETS1 E470: an unknown variant
        ("Landis & Gyr", "E4700"),
        ("Itron", "EM425-UK3"),
        ("Itron", "EM425-UK-ABC"),
        ("Aclara", "SGM1412C"),
        ("Acme Meters", "E470"),  # right model, unknown maker
        ("Itron", "E470"),  # another maker's model
        (None, "E470"),
        ("Landis & Gyr", None),
        ("", ""),
        (None, None),
    ],
)
def test_no_guessing(manufacturer: str | None, model: str | None) -> None:
    match = lookup(manufacturer, model)
    assert match.smets_version == UNKNOWN
    assert not match.listed
    assert match.migration is None
    assert match.kind is None


def test_unknown_keeps_what_the_meter_said() -> None:
    match = lookup("  Acme\x00 Meters ", " XR-1 ")
    assert (match.manufacturer, match.model) == ("Acme Meters", "XR-1")


def test_same_model_two_brands_resolved_by_brand() -> None:
    smets2 = lookup("Honeywell", "BK-G4E")
    smets1 = lookup("Elster", "BK-G4E")
    assert smets2.smets_version == SMETS2
    assert smets2.meter_type == "Diaphragm"
    assert smets1.smets_version == SMETS1


def test_same_model_both_brands_needs_a_hint() -> None:
    both = lookup("Honeywell Elster", "BK-G4E")
    assert both.smets_version == UNKNOWN
    assert both.ambiguous
    assert {c.smets_version for c in both.candidates} == {SMETS1, SMETS2}
    assert (
        lookup("Honeywell Elster", "BK-G4E", smets_hint="SMETS2").smets_version
        == SMETS2
    )
    hinted = lookup("Elster Honeywell", "BK-G4E", smets_hint="smets 1")
    assert hinted.smets_version == SMETS1
    assert hinted.migration is not None
    assert hinted.migration.status == MIGRATION_ELIGIBLE


def test_family_rows_that_agree_give_the_family() -> None:
    gwi = lookup("GWI", "G4-MG-SE-GM-V2")
    assert gwi.smets_version == SMETS2
    assert gwi.ambiguous
    assert gwi.model == "G4-MG-SE-GM-V2"
    assert gwi.meter_type == "Diaphragm"
    liberty = lookup("Secure Meters (UK) Limited", "Liberty 110")
    assert liberty.smets_version == SMETS1
    assert liberty.model == "Liberty 110"
    assert liberty.kind == "ESME"
    assert liberty.meter_type is None
    assert len(liberty.candidates) == 2


def test_exact_gwi_variant() -> None:
    match = lookup("GWI", "G4-MG-SE-GM-V2 TVI")
    assert match.meter_type is not None
    assert match.meter_type.startswith("Diaphragm: Top Viewing Index")


@pytest.mark.parametrize(
    ("manufacturer", "model", "names", "first_date"),
    [
        ("Elster", "AS 300P", ("IOC", "MOC"), dt.date(2019, 11, 24)),
        ("Itron", "EM425-UK", ("IOC",), dt.date(2019, 11, 24)),
        ("Secure", "Liberty 100", ("MOC",), dt.date(2020, 6, 28)),
        ("Landis+Gyr", "G370", ("FOC",), dt.date(2020, 7, 26)),
    ],
)
def test_migration_cohorts(
    manufacturer: str, model: str, names: tuple[str, ...], first_date: dt.date
) -> None:
    migration = lookup(manufacturer, model).migration
    assert migration is not None
    assert migration.status == MIGRATION_ELIGIBLE
    assert migration.cohort_names == names
    assert migration.capability_date == first_date


def test_elster_cohorts_name_their_operators() -> None:
    migration = lookup("Elster", "BK-G4E").migration
    assert migration is not None
    operators = {c.name: c.operator for c in migration.cohorts}
    assert "CGI Instant Energy" in operators["IOC"]
    assert "MDS" in operators["MOC"]
    assert {c.capability_date for c in migration.cohorts} == {
        dt.date(2019, 11, 24),
        dt.date(2020, 3, 15),
    }


def test_smets1_hint_for_an_unlisted_model() -> None:
    aclara = lookup("Aclara", "SGM-S1", smets_hint="SMETS1")
    assert aclara.smets_version == SMETS1
    assert not aclara.listed
    assert aclara.migration is not None
    assert aclara.migration.status == MIGRATION_NOT_ON_ADOPTION_LIST
    assert aclara.migration.cohort_names == ("IOC",)
    assert aclara.migration.capability_date == dt.date(2020, 2, 23)
    edmi = lookup("EDMI", "ES-5", smets_hint="1")
    assert edmi.migration is not None
    assert edmi.migration.status == MIGRATION_NOT_ON_ADOPTION_LIST
    assert edmi.migration.cohort_names == ("FOC",)
    assert edmi.migration.capability_date is None
    assert "Government" in edmi.migration.cohorts[0].note
    stranger = lookup("Acme", "Z1", smets_hint="SMETS1")
    assert stranger.migration is not None
    assert stranger.migration.cohorts == ()
    assert stranger.migration.capability_date is None


def test_hint_trusts_the_caller_over_the_tables() -> None:
    # The caller knows this E470-5394 was provisioned as SMETS1: trust them.
    told_smets1 = lookup("Landis+Gyr", "E470-5394", smets_hint="SMETS1")
    assert told_smets1.smets_version == SMETS1
    assert not told_smets1.listed
    told_smets2 = lookup("Landis+Gyr", "E470", smets_hint="SMETS2")
    assert told_smets2.smets_version == SMETS2
    assert not told_smets2.listed
    assert told_smets2.migration is None


def test_no_hint_never_says_not_on_adoption_list() -> None:
    for manufacturer in ("Aclara", "EDMI", "Elster", "Landis+Gyr", "Secure"):
        match = lookup(manufacturer, "NOPE-1")
        assert match.smets_version == UNKNOWN
        assert match.migration is None


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("SMETS1", SMETS1),
        ("smets 2", SMETS2),
        ("SMETS-1", SMETS1),
        ("S2", SMETS2),
        ("1", SMETS1),
        (" 2 ", SMETS2),
        ("SMETS3", None),
        ("ADM", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_smets_hint(hint: str | None, expected: str | None) -> None:
    assert normalise_smets_hint(hint) == expected


def test_bad_hint_is_ignored() -> None:
    assert lookup("Itron", "EM425-UK", smets_hint="SMETS9").smets_version == SMETS1


@pytest.mark.parametrize(
    ("manufacturer", "vendor"),
    [
        ("Landis & Gyr", "landis_gyr"),
        ("Landis+Gyr", "landis_gyr"),
        ("L+G", "landis_gyr"),
        ("L & G", "landis_gyr"),
        ("landis and gyr", "landis_gyr"),
        ("Honeywell Elster", "honeywell_elster"),
        ("Elster", "honeywell_elster"),
        ("HONEYWELL", "honeywell_elster"),
        ("Secure Meters (UK) Limited", "secure"),
        ("Secure", "secure"),
        ("Acme", None),
        ("", None),
        (None, None),
    ],
)
def test_vendor_aliases(manufacturer: str | None, vendor: str | None) -> None:
    assert vendor_of(manufacturer) == vendor


def test_cohorts_from_the_seed() -> None:
    found = [(c.name, c.capability_date) for c in cohorts()]
    assert found == [
        ("IOC", dt.date(2019, 11, 24)),
        ("IOC", dt.date(2020, 2, 23)),
        ("MOC", dt.date(2020, 3, 15)),
        ("MOC", dt.date(2020, 6, 28)),
        ("FOC", dt.date(2020, 7, 26)),
        ("FOC", None),
    ]


def test_render_markdown() -> None:
    text = render_markdown()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert "| Landis & Gyr | E470-5394 | ESME | 4 terminal with ALCS + Boost |" in lines
    assert "| Elster | AS 300P | ESME | IOC, MOC |" in lines
    assert "| Landis & Gyr | E470 | ESME | FOC |" in lines
    assert any(
        line.startswith("| FOC (Final Operating Capability) | no date |")
        for line in lines
    )
    table_rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    # 3 header rows + 15 SMETS2 + 11 SMETS1 + 6 cohorts
    assert len(table_rows) == 3 + len(SEED_SMETS2) + len(SEED_SMETS1) + 6
    for line in table_rows:
        assert line.count(" | ") == 3
