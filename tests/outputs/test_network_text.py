"""The words and numbers of the network picture (ecopark_opt.outputs.network_text)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ecopark_opt.outputs.network_text import (
    PREFIXES,
    compass,
    firm_labels,
    km_text,
    quantity_label,
    short_label,
    tick_texts,
)


def test_short_labels():
    # the name without its parenthesis when that fits in 18 characters, else the id
    assert short_label("GH", "Greenhouse (waste heat and CO2)") == "Greenhouse"
    assert short_label("CHP", "Combined heat and power plant") == "CHP"  # 29 characters
    assert short_label("B", "Brewery") == "Brewery"
    assert short_label("X", None) == "X"
    long_id = "A_VERY_LONG_FIRM_IDENTIFIER"  # 27 characters, no usable name
    assert short_label(long_id, "") == "A_VERY_LONG_FIRM_…"
    assert len(short_label(long_id, "")) == 18
    # two names that shorten to the same "Farm" are told apart by their ids
    firms = pd.DataFrame(
        {"name": ["Farm (north)", "Farm (south)", "Mill"]}, index=["F1", "F2", "M"]
    )
    assert firm_labels(firms) == {"F1": "F1", "F2": "F2", "M": "Mill"}


def test_compass_and_distance_text():
    assert compass(1, 0) == "E"
    assert compass(0, 1) == "N"
    assert compass(-1, -1) == "SW"
    assert compass(19.5, 4.5) == "E"  # 13° north of east: within ±22.5° of E
    assert compass(-1, 2) == "NW"  # 116.6°: nearest of 90 (N) and 135 (NW) is NW
    assert km_text(20.03) == "20"
    assert km_text(0.532) == "0.53"
    assert km_text(123.4) == "123"


def test_quantity_labels_never_use_scientific_notation():
    assert quantity_label(0) == "0"
    assert quantity_label(80) == "80"
    assert quantity_label(999.4) == "999"
    assert quantity_label(999.6) == "1 k"  # not "1e+03"
    assert quantity_label(1234) == "1.2 k"
    assert quantity_label(120_000) == "120 k"
    assert quantity_label(350_000) == "350 k"
    assert quantity_label(999_999) == "1 M"  # not "1000 k"
    assert quantity_label(1.2e6) == "1.2 M"
    assert quantity_label(3e9) == "3 G"
    assert quantity_label(0.000012) == "0.000012"  # not "1.2e-05"
    assert quantity_label(1e-9) == "< 0.000001"
    assert quantity_label(1e30) == "> 999 E"
    # every magnitude from a millionth to 999 E: digits and a prefix, read back within 5 %
    for exponent in np.arange(-6.0, 21.0, 0.25):
        q = 1.37 * 10.0**exponent
        text = quantity_label(q)
        assert re.fullmatch(r"\d+(\.\d+)?( [kMGTPE])?", text), (q, text)
        number, _, prefix = text.partition(" ")
        assert abs(float(number) * 1000.0 ** PREFIXES.index(prefix) - q) <= 0.05 * q, (q, text)


def test_tick_texts_have_the_decimals_of_their_step():
    assert tick_texts([55.6, 55.7, 55.8]) == ["55.6", "55.7", "55.8"]
    assert tick_texts([55.0, 56.0]) == ["55", "56"]
    assert tick_texts([0.25, 0.5, 0.75]) == ["0.25", "0.50", "0.75"]
    assert tick_texts([1e-5, 1.5e-5, 2e-5]) == ["0.000010", "0.000015", "0.000020"]
    assert tick_texts([-0.5, -0.0, 0.5]) == ["-0.5", "0.0", "0.5"]
