"""The ``processes`` and ``process_io`` sheets (docs/workbook.md): checks, and the rows that
make a process's inputs and outputs streams like those of the ``flows`` sheet.

A process row joins ``park.flows`` with id ``<process>/<resource>/<input|output>``, direction
``demand`` (an input) or ``supply`` (an output), the process's firm, ``process`` and
``ratio`` set, and quantity ratio × max_throughput — the most it can take or give in a year.
Candidate links, substitutions, modes, quality, purchase and discharge then treat it like
any stream; the model makes its quantity ratio × throughput (docs/model.md).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..park import capital_recovery_factor, is_blank
from .reader import Table, did_you_mean
from .schema import SHEETS

ROLE = {"input": "demand", "output": "supply"}


def process_row_id(process: str, resource: str, direction: str) -> str:
    return f"{process}/{resource}/{direction}"


def empty_processes() -> pd.DataFrame:
    columns = [c.name for c in SHEETS["processes"].columns if c.name != "process_id"]
    return pd.DataFrame(
        columns=[*columns, "excel_row", "crf"], index=pd.Index([], name="process_id")
    )


def check_processes(
    processes: pd.DataFrame,
    process_io: pd.DataFrame,
    firms: pd.DataFrame,
    resources: pd.DataFrame,
    tables: dict[str, Table],
    problems: list[str],
    stream_ids: pd.Index | None = None,
) -> None:
    """Processes belong to known firms, with min ≤ max throughput; every process has
    process_io rows, each naming a known process and resource, once per direction, and
    giving a stream id (``process/resource/direction``) that no other stream has (ids with
    ``/`` in them could collide; ``stream_ids``: those of the flows sheet)."""
    table = tables.get("processes")
    io_table = tables.get("process_io")
    if table is None or processes.empty:
        if io_table is not None and not process_io.empty:
            problems.append(f"{io_table.title}: process_io rows need a processes sheet")
        return
    if io_table is None:
        problems.append(
            f"{table.title}: processes need a process_io sheet (what each process "
            "takes and gives per unit of throughput)"
        )
        return
    for process, rec in processes.iterrows():
        row = rec["excel_row"]
        firm = rec["firm_id"]
        if not is_blank(firm) and firm not in firms.index:
            problems.append(
                f"{table.cell('firm_id', row)} (firm_id): unknown firm '{firm}'"
                f"{did_you_mean(firm, list(firms.index))}"
            )
        low, high = rec["min_throughput"], rec["max_throughput"]
        if not is_blank(low) and not is_blank(high) and float(low) > float(high):
            problems.append(
                f"{table.cell('min_throughput', row)} (min_throughput): {process} "
                f"must run at least {float(low):g} but at most {float(high):g}"
            )
    seen: dict[tuple, int] = {}
    with_rows = set()
    streams = {i: "a flows row" for i in (stream_ids if stream_ids is not None else [])}
    for rec in process_io.itertuples():
        row = rec.excel_row
        if rec.process_id is not None and rec.process_id not in processes.index:
            problems.append(
                f"{io_table.cell('process_id', row)} (process_id): unknown process "
                f"'{rec.process_id}'{did_you_mean(rec.process_id, list(processes.index))}"
            )
        if rec.resource_id is not None and rec.resource_id not in resources.index:
            problems.append(
                f"{io_table.cell('resource_id', row)} (resource_id): unknown resource "
                f"'{rec.resource_id}'{did_you_mean(rec.resource_id, list(resources.index))}"
            )
        key = (rec.process_id, rec.resource_id, rec.direction)
        if None not in key and key in seen:
            problems.append(
                f"{io_table.cell('process_id', row)} (process_id): second {rec.direction} "
                f"row of '{rec.resource_id}' for process '{rec.process_id}' (first "
                f"on row {seen[key]}); merge them"
            )
        seen.setdefault(key, row)
        with_rows.add(rec.process_id)
        if None not in key:
            stream = process_row_id(*key)
            if stream in streams:
                problems.append(
                    f"{io_table.cell('process_id', row)} (process_id): the stream id "
                    f"'{stream}' of this row is also that of {streams[stream]}; rename the "
                    "process or the resource (an id with '/' in it can collide)"
                )
            streams.setdefault(stream, f"{io_table.title} row {row}")
    for process, rec in processes.iterrows():
        if process not in with_rows:
            problems.append(
                f"{table.cell('process_id', rec['excel_row'])} (process_id): process "
                f"'{process}' has no process_io rows (what it takes and gives)"
            )


def finish_processes(processes: pd.DataFrame, settings: Any) -> pd.DataFrame:
    """Defaults filled in; ``crf`` the capital recovery factor of its lifetime."""
    if processes.empty:
        return empty_processes()
    out = processes.copy()
    for col in (
        "min_throughput",
        "capex_fixed",
        "capex_per_capacity",
        "opex_fixed",
        "cost_per_unit",
        "co2e_per_unit",
    ):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0.0).astype(float)
    out["max_throughput"] = out["max_throughput"].astype(float)
    out["must_build"] = out["must_build"].fillna(False).astype(bool)
    out["lifetime_years"] = (
        pd.to_numeric(out["lifetime_years"], errors="coerce")
        .fillna(settings.lifetime_years)
        .astype(float)
    )
    out["crf"] = [capital_recovery_factor(settings.discount_rate, y) for y in out["lifetime_years"]]
    return out


def process_rows(
    processes: pd.DataFrame,
    process_io: pd.DataFrame,
    resources: pd.DataFrame,
    properties: list[str],
) -> pd.DataFrame:
    """The streams of the processes' inputs and outputs, as rows of ``park.flows``."""
    records = []
    for rec in process_io.to_dict("records"):
        process, resource, direction = rec["process_id"], rec["resource_id"], rec["direction"]
        ratio = 1.0 if is_blank(rec.get("ratio")) else float(rec["ratio"])
        max_throughput = float(processes.at[process, "max_throughput"])
        if direction == "input":
            virgin = float(resources.at[resource, "virgin_price"])
            given = rec.get("price")
            # a row price overrides the price; it does not make an unbuyable input buyable
            price = virgin if is_blank(given) or math.isnan(virgin) else float(given)
        else:
            given = rec.get("price")
            price = (
                float(resources.at[resource, "disposal_cost"]) if is_blank(given) else float(given)
            )
        records.append(
            {
                "flow_id": process_row_id(process, resource, direction),
                "firm_id": processes.at[process, "firm_id"],
                "resource_id": resource,
                "direction": ROLE[direction],
                "quantity": ratio * max_throughput,
                "price": price,
                **{k: rec.get(k, math.nan) for k in properties},
                "excel_row": rec["excel_row"],
                "process": process,
                "ratio": ratio,
            }
        )
    columns = [
        "firm_id",
        "resource_id",
        "direction",
        "quantity",
        "price",
        *properties,
        "excel_row",
        "process",
        "ratio",
    ]
    frame = pd.DataFrame(records, columns=["flow_id", *columns]).set_index("flow_id")
    for k in properties:
        frame[k] = frame[k].astype(float)
    return frame
