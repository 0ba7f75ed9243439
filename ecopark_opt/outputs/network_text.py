"""The words and numbers of the network picture: quantities, distances, bearings, firm labels,
tick labels and footnotes.

Numbers are written out, never in scientific notation: quantities with a k / M / G / T / P /
E prefix (``350 k``, ``1.2 M``), distances and axis ticks in plain digits.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

LABEL_CHARS = 18  # longest firm label
PREFIXES = ("", "k", "M", "G", "T", "P", "E")  # thousands, millions, … of a quantity


def plain_number(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits, written out without an exponent:
    (0.000123, 2) → ``0.00012``, (1234.5, 3) → ``1230``, (-0.5, 2) → ``-0.5``."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    text = np.format_float_positional(
        float(f"{x:.{digits}g}"), precision=digits, unique=True, fractional=False, trim="-"
    )
    return "0" if text == "-0" else text


def km_text(d: float) -> str:
    """Distance text: 0.53 → ``0.53``, 7.04 → ``7``, 123.4 → ``123``, 0.00004 → ``0.00004``."""
    return f"{d:.0f}" if d >= 6.5 else plain_number(d, 2)


def compass(dx: float, dy: float) -> str:
    """Eight-point bearing of the vector (dx east, dy north): (1, 0) → ``E``, (-1, 1) → ``NW``."""
    names = ("E", "NE", "N", "NW", "W", "SW", "S", "SE")
    return names[round(math.degrees(math.atan2(dy, dx)) / 45.0) % 8]


def quantity_label(q: float) -> str:
    """Short quantity text without an exponent: 80 → ``80``, 1234 → ``1.2 k``,
    350 000 → ``350 k``, 1.2e6 → ``1.2 M``, 3e9 → ``3 G``, 0.00012 → ``0.00012``.

    Three significant digits below 1 000, two with a prefix (k, M, G, T, P, E); beyond
    999 E ``> 999 E``, and a non-zero quantity below a millionth ``< 0.000001`` (the Links
    sheet has every number in full).
    """
    if not math.isfinite(q):
        return str(q)
    if 0 < abs(q) < 1e-6:
        return "< 0.000001"
    if abs(float(f"{q:.3g}")) < 1000:
        return plain_number(q, 3)
    power = min(int(math.floor(math.log10(abs(q)) / 3)), len(PREFIXES) - 1)
    mantissa = float(f"{q / 1000.0**power:.2g}")
    if abs(mantissa) >= 1000:  # 999 999 → 1 M, not 1000 k
        if power == len(PREFIXES) - 1:
            return "> 999 E" if q > 0 else "< -999 E"
        power, mantissa = power + 1, mantissa / 1000
    return f"{plain_number(mantissa, 2)} {PREFIXES[power]}"


def short_label(firm_id: str, name: object) -> str:
    """A firm's label of at most ``LABEL_CHARS`` characters.

    The name without parenthesised parts when it fits (``Greenhouse (waste heat and CO2)`` →
    ``Greenhouse``), else the firm_id (``Combined heat and power plant`` → ``CHP``), cut with
    an ellipsis if even the id is too long.
    """
    text = name.strip() if isinstance(name, str) else ""
    text = re.sub(r"\s*\([^)]*\)", "", text).strip()
    if text and len(text) <= LABEL_CHARS:
        return text
    return cut(str(firm_id), LABEL_CHARS)


def firm_labels(firms: pd.DataFrame) -> dict[str, str]:
    """Short labels, unique: firms whose short names clash are labelled by their firm_id."""
    labels = {str(f): short_label(str(f), name) for f, name in zip(firms.index, firms["name"])}
    counts = pd.Series(list(labels.values())).value_counts()
    for f, text in labels.items():
        if counts[text] > 1:
            labels[f] = cut(f, LABEL_CHARS)
    return labels


def unit_text(unit: str) -> str:
    """Legend unit: quantities are yearly unless the unit already is a rate (``t/h``)."""
    if not unit:
        return ""
    return f"[{unit}]" if "/" in unit else f"[{unit}/yr]"


def cut(text: str, n: int) -> str:
    """The text, cut to n characters with an ellipsis when longer."""
    return text if len(text) <= n else text[: n - 1] + "…"


def tick_texts(ticks: list[float]) -> list[str]:
    """Tick values written out with the decimals their step needs, never with an exponent."""
    step = min((abs(b - a) for a, b in zip(ticks, ticks[1:]) if b != a), default=1.0)
    decimals = max(0, -math.floor(math.log10(step)) + 1) if step > 0 else 0
    texts = [f"{t:.{decimals}f}" for t in ticks]
    while decimals and all(t.endswith("0") for t in texts):  # 55.60, 55.70 → 55.6, 55.7
        decimals -= 1
        texts = [f"{t:.{decimals}f}" for t in ticks]
    return [t[1:] if re.fullmatch(r"-0\.?0*", t) else t for t in texts]  # -0.0 → 0.0


def off_plots_note(off: list[tuple[str, float, float]]) -> str:
    """The footnote on free plots off the picture: (plot, km east, km north) of the centre."""
    items = [f"{p} ({km_text(math.hypot(dx, dy))} km {compass(dx, dy)})" for p, dx, dy in off]
    more = f" and {len(items) - 8} more" if len(items) > 8 else ""
    return (
        "free plots off the picture (distance and bearing from the park's centre): "
        + ", ".join(items[:8])
        + more
    )


def overview_notes(
    n_firms: int, labelled: int, ranked: int, n_links: int, omitted: int, nudged: float, top: int
) -> list[str]:
    """What an overview shows and what it leaves out, for the footnote (two lines): of
    ``n_links`` links the ``top`` largest are meant to be labelled."""
    nudge = f" (crowded ones nudged up to {km_text(nudged)} km apart)" if nudged else ""
    if not n_links:
        return [
            f"overview: dots are firms{nudge}; no exchange link built, so no firm is labelled "
            "(see the Firms sheet)"
        ]
    top = min(top, n_links)
    shown = n_links - omitted
    links = f"the {top} largest links" if shown == top else f"{shown} of the {top} largest links"
    firms = f"the {ranked} firms" if labelled == ranked else f"{labelled} of the {ranked} firms"
    firms += " with the largest flows in + out"
    counts = ((n_firms - labelled, "firm", "Firms"), (omitted, "link", "Links"))
    left = [(f"{n} {what}", sheet) for n, what, sheet in counts if n]
    left_out = ""
    if left:
        sheets = " and ".join(sheet for _, sheet in left) + (
            " sheets" if len(left) > 1 else " sheet"
        )
        left_out = f"; left out: {' and '.join(t for t, _ in left)} labels (see the {sheets})"
    return [
        f"overview: dots are firms{nudge}, lines are links (width ∝ quantity sent, relative to "
        "the largest flow in its unit)",
        f"labelled: {firms}, {links} (arrows){left_out}",
    ]
