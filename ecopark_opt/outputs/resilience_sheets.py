"""Report sheets of the resilience analyses: N-1 (Resilience, Link resilience) and the
defection-aware design (Defection-aware, Defection links), with plain-language notes.
"""

from __future__ import annotations

import math

import pandas as pd

from ..analyses.defection import DefectionResult
from ..analyses.resilience import COST_TOL, Removal, ResilienceResult, RunOutcome
from ..core.vocabulary import metric_units
from ..park import Park
from .sheets import ExtraSheet, bar_chart


def resilience_sheets(result: ResilienceResult) -> list[ExtraSheet]:
    """The "Resilience" sheet (and "Link resilience" when links were analysed)."""
    park = result.park
    cur = park.currency
    frame = _removal_table(park, result.firms, "firm")
    cost_fixed = f"fixed design: cost increase [{cur}/yr]"
    cost_reopt = f"re-optimised: cost increase [{cur}/yr]"
    notes = [
        "What happens if one firm leaves the park. Fixed design: the design's links stay "
        "(links to or from the leaving firm are stranded and still cost their capex and "
        "fixed opex) and only they can be used; the others buy and discharge what they must. "
        "Re-optimised: the park is designed again without the firm.",
        "Increases are against the design without the leaving firm's own purchases, "
        "discharges and admission costs; firms are ranked by the fixed-design cost increase.",
    ]
    notes += [_firm_note(park, r) for r in result.firms if r.critical]
    if result.skipped:
        notes.append(
            "Not analysed, the time limit was reached first: " + ", ".join(result.skipped) + "."
        )
    calm = [r.label for r in result.firms if not r.critical]
    if calm:
        notes.append(
            "No other firm loses supply and the park cost does not rise if one of "
            f"these leaves: {', '.join(calm)}."
        )
    title = "Park cost increase if a firm leaves"
    chart = bar_chart("name", (cost_fixed, cost_reopt), title, f"{cur}/yr", x_title="firm")
    sheets = [ExtraSheet("Resilience", frame, notes, chart)]
    if result.links is not None:
        link_notes = [
            "What happens if one built link fails or is not built. Fixed design: every other "
            "link of the design stays and only they can be used. Re-optimised: the park is "
            "designed again without that link. Increases are against the design.",
        ]
        link_notes += [_link_note(park, r) for r in result.links if r.critical]
        sheets.append(
            ExtraSheet(
                title="Link resilience",
                frame=_removal_table(park, result.links, "link"),
                notes=link_notes,
            )
        )
    return sheets


def _removal_table(park: Park, removals: list[Removal], kind: str) -> pd.DataFrame:
    cur = park.currency
    records = []
    for rank, r in enumerate(removals, start=1):
        rec: dict = {"rank": rank}
        if kind == "firm":
            rec["firm"] = r.key
            rec["name"] = r.label
        else:
            rec["link"] = r.label
        for run, title in (("fixed", "fixed design"), ("reoptimized", "re-optimised")):
            units = metric_units(cur)
            for metric, label in (("cost", "cost"), ("virgin", "virgin use"), ("co2e", "CO2e")):
                unit = units[metric]
                rec[f"{title}: {label} increase [{unit}]"] = _num(r.increase(run, metric))
                rec[f"{title}: {label} increase [%]"] = _num(r.increase_pct(run, metric))
        rec["firms losing supply"] = len(r.firms_losing_supply)
        rec["unmet (fixed design)"] = "; ".join(
            f"{f}: {_qty(q)} {u} {res}".replace("  ", " ")
            for f, res, q, u in zip(
                r.unmet["firm"], r.unmet["resource"], r.unmet["quantity"], r.unmet["unit"]
            )
        )
        rec["idle links"] = len(r.idle_links)
        rec["idle links (list)"] = "; ".join(r.idle_links)
        rec["remarks"] = _remarks(park, r)
        records.append(rec)
    return pd.DataFrame(records)  # numbers stay numbers (a blank is NaN): they get formats


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _qty(q: float) -> str:
    return f"{q:,.6g}" if abs(q) < 1e6 else f"{q:,.0f}"


def _signed_pct(r: Removal, run: str, currency: str) -> str:
    """``+3.2 %`` (or ``+120 EUR/yr`` when the reference is 0)."""
    pct = r.increase_pct(run, "cost")
    if math.isnan(pct):
        text = f"{r.increase(run, 'cost'):+,.0f} {currency}/yr"
    else:
        text = f"{pct:+.1f} %"
    return text.replace("-", "−", 1) if text.startswith("-") else text


def _resource_names(park: Park, ids: list[str]) -> str:
    names = [str(park.resources.at[r, "name"]) for r in ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _who(park: Park, firms: list[str]) -> tuple[str, str]:
    """Subject and verb agreement: ("Gyproc", "loses"), ("4 firms", "lose")."""
    names = [str(park.firms.at[f, "name"]) for f in firms]
    if len(names) == 1:
        return names[0], "loses"
    if len(names) == 2:
        return f"{names[0]} and {names[1]}", "lose"
    return f"{len(names)} firms", "lose"


def _firm_note(park: Park, r: Removal) -> str:
    return f"If {r.label} leaves, " + _consequence(park, r)


def _link_note(park: Park, r: Removal) -> str:
    return f"Without the link {r.label}, " + _consequence(park, r)


def _consequence(park: Park, r: Removal) -> str:
    cur = park.currency
    if r.firms_losing_supply:
        who, verb = _who(park, r.firms_losing_supply)
        lost = f"{who} {verb} {_resource_names(park, r.resources_lost)}"
    else:
        lost = "no other firm loses supply"
    fixed = _signed_pct(r, "fixed", cur)
    reopt = _signed_pct(r, "reoptimized", cur)
    if r.fixed.ok and r.reoptimized.ok:
        text = f"{lost}; park cost {fixed} (fixed design), {reopt} after re-optimising."
    elif r.reoptimized.ok:
        text = (
            f"{lost}; the fixed design cannot be operated (a cap or limit cannot hold); "
            f"park cost {reopt} after re-optimising."
        )
    elif r.fixed.ok:
        text = f"{lost}; park cost {fixed} (fixed design); re-optimising finds no design."
    else:
        text = (
            f"{lost}; the park cannot be operated, even re-optimised (a cap or limit cannot hold)."
        )
    if r.fixed.shortage:
        short = ", ".join(
            f"{park.firms.at[f, 'name']} {_qty(q)} {park.resources.at[res, 'unit']} {res}".replace(
                "  ", " "
            )
            for f, res, q in r.fixed.shortage
        )
        text += f" Demand that cannot be bought stays unmet with the fixed design: {short}."
    return text


def _remarks(park: Park, r: Removal) -> str:
    parts = []
    for run, title in (("fixed", "fixed design"), ("reoptimized", "re-optimised")):
        outcome: RunOutcome = getattr(r, run)
        if not outcome.ok:
            parts.append(f"{title}: no feasible operation ({outcome.status})")
            continue
        if outcome.status != "optimal":
            parts.append(f"{title}: {outcome.status} (best found)")
        for f, res, q in outcome.shortage:
            unit = park.resources.at[res, "unit"]
            parts.append(
                f"{title}: {f} short of {_qty(q)} {unit} {res} (cannot be bought)".replace(
                    "  ", " "
                )
            )
    if r.kind == "firm" and r.stranded_links:
        parts.append(f"stranded: {'; '.join(r.stranded_links)}")
    return "; ".join(parts)


def defection_sheets(result: DefectionResult) -> list[ExtraSheet]:
    """ "Defection-aware": cost per scenario of both designs and the expected cost;
    "Defection links": the links built by one design only."""
    park = result.park
    cur = park.currency
    sc = result.scenarios
    plain_col = f"plain design: cost [{cur}/yr]"
    aware_col = f"defection-aware design: cost [{cur}/yr]"
    frame = pd.DataFrame(
        {
            "scenario": sc["label"],
            "firm leaving": [f or "" for f in sc["firm"]],
            "probability": sc["probability"],
            plain_col: result.plain.scenarios["cost"].reindex(sc.index),
            aware_col: result.aware.scenarios["cost"].reindex(sc.index),
        }
    )
    frame[f"difference [{cur}/yr]"] = frame[aware_col] - frame[plain_col]
    expected = {
        "scenario": "expected",
        "firm leaving": "",
        "probability": float(sc["probability"].sum()),
        plain_col: result.plain.expected_cost,
        aware_col: result.aware.expected_cost,
        f"difference [{cur}/yr]": result.aware.expected_cost - result.plain.expected_cost,
    }
    frame = pd.concat([frame, pd.DataFrame([expected])], ignore_index=True)

    diff = result.differing_links()
    added = [_plain_link(r) for _, r in diff[diff["aware"]].iterrows()]
    dropped = [_plain_link(r) for _, r in diff[diff["plain"]].iterrows()]
    notes = [
        "Each firm may leave the park with its yearly defection_probability (one firm at a "
        "time). The defection-aware design chooses the links that minimise the expected "
        "annual cost over these scenarios; stranded links are still paid for.",
    ]
    if math.isnan(result.plain.expected_cost):
        notes.append(
            "The plain design cannot be operated in some scenario (a cap or limit "
            "cannot hold): its expected cost is undefined."
        )
    else:
        notes.append(
            f"Expected annual cost: plain design {result.plain.expected_cost:,.0f} {cur}, "
            f"defection-aware design {result.aware.expected_cost:,.0f} {cur} "
            f"(saving {result.expected_saving:,.0f} {cur}/yr)."
        )
    if result.robustness_cost > COST_TOL * max(1.0, abs(result.plain.planned_cost)):
        notes.append(
            f"What the robustness costs: {result.robustness_cost:,.0f} {cur}/yr more than the "
            "plain design when nobody leaves."
        )
    if added:
        notes.append("Links only the defection-aware design builds: " + "; ".join(added) + ".")
    if dropped:
        notes.append("Links only the plain design builds: " + "; ".join(dropped) + ".")
    if not added and not dropped:
        notes.append("Both designs build the same links.")
    notes += result.notes
    title = "Annual cost per defection scenario"
    chart = bar_chart("scenario", (plain_col, aware_col), title, f"{cur}/yr")
    sheets = [ExtraSheet("Defection-aware", frame, notes, chart)]
    links = diff.reset_index(drop=True).rename(
        columns={
            "distance_km": "distance [km]",
            "fixed_cost": f"fixed cost [{cur}/yr]",
            "plain": "in plain design",
            "aware": "in defection-aware design",
        }
    )
    sheets.append(
        ExtraSheet(
            title="Defection links",
            frame=links,
            notes=["Links built by one of the two designs only."],
        )
    )
    return sheets


def _plain_link(rec: pd.Series) -> str:
    resource = rec["from_resource"]
    if rec["to_resource"] != resource:
        resource = f"{resource}→{rec['to_resource']}"
    return f"{rec['supplier']}→{rec['receiver']} {resource} ({rec['mode']})"
