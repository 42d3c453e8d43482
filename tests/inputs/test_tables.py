"""Loaders: provenance is kept, estimates stay flagged, bad files give one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.errors import InputError
from model.inputs import catalogue
from model.inputs.council import council_population, population_table, read_rows
from model.inputs.tables import (
    EU27,
    _tidy_table,
    load_exposures,
    load_member_states,
    load_population,
    load_probabilities,
    normalise_iso2,
    read_csv,
)


def test_member_states_are_the_27_with_council_2025_figures():
    ms = load_member_states()
    assert list(ms.index) == list(EU27)
    assert ms["population"].sum() == pytest.approx(451_028_881, rel=2e-4)   # shares sum to 100.01%
    assert set(ms["confidence"]) == {"medium"}                            # derived from shares
    assert ms["source"].str.contains("Agence Europe").all()


def test_alternative_population_tables():
    assert load_population("eurostat2024").sum() == 449_206_579
    assert load_population("eurostat2024")["IT"] == 58_989_749


def test_el_and_uk_are_aliases_and_the_uk_is_rejected_where_it_is_not_a_member():
    assert normalise_iso2("EL") == "GR"
    assert normalise_iso2(" uk ") == "GB"
    assert normalise_iso2("UK", members=("GB", "FR")) == "GB"
    with pytest.raises(InputError, match=r"United Kingdom \(GB\) is not a member"):
        normalise_iso2("UK", members=EU27)
    with pytest.raises(InputError, match="unknown country code 'XX'"):
        normalise_iso2("XX")


def test_exposures_keep_source_confidence_and_unverified_flag():
    ex = load_exposures()
    assert (ex["source"].str.len() > 0).all()
    unverified = ex[ex["unverified"]]
    assert len(unverified) > 0
    # the 21 order-of-magnitude export estimates stay UNVERIFIED, the sourced ones do not
    exports = ex[(ex["indicator"] == "exports_to_china") & (ex["year"] == "2024")].set_index("iso2")
    assert exports.loc["AT", "confidence"] == "UNVERIFIED"
    assert exports.loc["DE", "confidence"] == "high"
    assert set(ex["sector"]) >= {"cars", "spirits", "pork", "dairy", "chinese_plants", "fdi",
                                 "rare_earth_magnets", "trade"}


def test_every_number_in_toml_params_has_source_and_confidence():
    for measure in catalogue.measures().values():
        assert measure.source and measure.intercept.source
        assert all(s.confidence for s in measure.stakes.values())
    for ins in catalogue.instruments().values():
        for field in ("cost", "effect", "lag", "credibility"):
            assert getattr(ins, field).source
    for name in catalogue.coefficients().values():
        assert getattr(catalogue.coefficients(), name).confidence in catalogue.CONFIDENCE


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bad_population_file_names_file_row_and_field(tmp_path):
    path = write(tmp_path, "pop.csv", "iso2,population\nDE,100\nXX,5\n")
    with pytest.raises(InputError) as err:
        load_population(path)
    assert str(path) in str(err.value) and "row 3" in str(err.value) and "iso2" in str(err.value)
    path = write(tmp_path, "neg.csv", "iso2,population\nDE,-100\n")
    with pytest.raises(InputError, match="negative value"):
        load_population(path)


def test_probability_outside_unit_interval_is_rejected(tmp_path):
    path = write(tmp_path, "p.csv", "iso2,p_for,p_against,p_abstain\nDE,1.2,-0.2,0\n")
    with pytest.raises(InputError, match=r"probability 1.2 outside \[0, 1\]"):
        load_probabilities(path)


def test_missing_source_is_an_error(tmp_path):
    path = write(tmp_path, "ex.csv", "iso2,sector,indicator,value,unit,year,source,confidence\n"
                                     "DE,cars,x,1,EUR bn,2024,,high\n")
    with pytest.raises(InputError, match="missing source"):
        _tidy_table(path, value_numeric=True)


def test_malformed_csv_is_one_line(tmp_path):
    path = write(tmp_path, "bad.csv", 'iso2,population\n"DE,1\n')
    with pytest.raises(InputError, match=r"malformed CSV|missing column"):
        read_csv(path, ["iso2", "population"])


def test_the_fast_reader_agrees_with_the_pandas_one(tmp_path):
    for name in ("council2025", "eurostat2024", "eurostat2025"):
        assert population_table(name) == load_population(name).to_dict()
    ragged = write(tmp_path, "ragged.csv", "iso2,population\nDE,1,2\n")
    with pytest.raises(InputError, match="more cells than the header"):
        read_rows(ragged, ["iso2", "population"])
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(InputError, match="malformed CSV"):
        population_table(binary)


def test_a_table_without_every_member_is_an_error_naming_them(tmp_path):
    three = write(tmp_path, "three.csv", "iso2,population\nDE,83\nFR,68\nIT,59\n")
    with pytest.raises(InputError, match="no figure for 24 member states: AT, BE") as err:
        council_population(three)
    assert str(three) in str(err.value)
    no_de = write(tmp_path, "no_de.csv", "iso2,population\n" + "".join(
        f"{s},1000\n" for s in EU27 if s != "DE"))
    with pytest.raises(InputError, match="no figure for 1 member state: DE"):
        council_population(no_de)
    # fine when the caller says who takes part and the missing members do not
    assert set(council_population(three, ["DE", "FR", "IT"])) == {"DE", "FR", "IT"}
    assert len(council_population(no_de, [s for s in EU27 if s != "DE"])) == 26
