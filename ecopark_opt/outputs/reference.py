"""``docs/model.md``, generated from the model's own docstrings (``python scripts/make_docs.py``).

The maths of every constraint family is written once, in the docstring of the function that
builds it (:mod:`ecopark_opt.core.families`); this page collects those docstrings in the
order the families are declared, with what each family adds and declares, so the page and
the code cannot disagree (a test rebuilds the page and compares it with the committed one).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable

from ..core import families, model, park_model, stages

INTRO = """\
# The optimization model

*Generated from the docstrings of `ecopark_opt/core/` by `python scripts/make_docs.py`; edit
the code, not this page.*

The park design is a mixed-integer linear programme. The *design* — which candidate links to
build, which candidate firms to admit and on which plot — is decided once. *Operation* —
what each link carries, what each firm buys and discharges — is decided per *case*: a period
of the year (a single case, the year, without a `periods` sheet) in a scenario of who is in
the park (the park as designed; the defection-aware design adds one scenario per firm that
may leave). Quantities are per year in each resource's unit, money in the workbook's
currency. The workbook's sheets and columns are described in [workbook.md](workbook.md);
the results in [results.md](results.md).
"""


def model_markdown() -> str:
    """The whole page."""
    parts = [INTRO]
    parts.append("## Symbols\n\n" + _symbols(model.__doc__ or ""))
    parts.append("## Cases\n\n" + _cases_text(model.__doc__ or ""))
    parts.append("## Constraint families\n\n" + _family_intro())
    for fam in families.FAMILIES.values():
        parts.append(_family_section(fam))
    parts.append("## Metrics and objective\n")
    parts.append(_function_section("Metrics", model.add_metrics, level=3))
    parts.append(_function_section("Objective", model.objective_expression, level=3))
    parts.append(_function_section("Lexicographic stages", stages.solve_lexicographic, level=3))
    parts.append(
        "## Constraints the analyses add\n\n"
        "Analyses (Pareto fronts, alternatives, resilience) drive a built model through "
        "`ecopark_opt.core.park_model.ParkModel`; the constraints they add are these.\n"
    )
    for title, fn in (
        ("ε-constraint (Pareto front)", park_model.ParkModel.epsilon),
        ("Near-optimal region (alternatives)", park_model.ParkModel.near_optimal),
        ("No-good cut (alternatives)", park_model.ParkModel.exclude),
        ("Structure objective (alternatives)", park_model.ParkModel._structure),
        ("Least shortage (resilience)", park_model.ParkModel.least_shortage),
    ):
        parts.append(_function_section(title, fn, level=3))
    return "\n".join(p.rstrip() + "\n" for p in parts)


def _symbols(doc: str) -> str:
    """The symbol table of :mod:`ecopark_opt.core.model`'s docstring, as Markdown."""
    block = doc.split("Symbols used throughout", 1)[1]
    return rst_to_markdown(_dedent_tail(block.split("\n", 2)[2]))


def _cases_text(doc: str) -> str:
    text = doc.split("Cases\n=====\n", 1)[1].split("Symbols used throughout", 1)[0]
    return rst_to_markdown(text.strip())


def _family_intro() -> str:
    doc = inspect.getdoc(families) or ""
    return rst_to_markdown(doc.split("\n\n", 1)[1])


def _family_section(fam: families.Family) -> str:
    fn = getattr(families, fam.name)
    facts = []
    if fam.constraints:
        facts.append("adds " + ", ".join(f"`{c}`" for c in fam.constraints))
    else:
        facts.append("adds expressions only")
    if fam.elastic:
        facts.append("may be relaxed to explain an infeasible park")
    if fam.couples is not None:
        facts.append("can make the park one problem (no decomposition)")
    if fam.joins is not None:
        facts.append("joins rows into one component")
    head = f"### `{fam.name}`\n\n*{'; '.join(facts)}.*\n\n"
    return head + rst_to_markdown(inspect.getdoc(fn) or "")


def _function_section(title: str, fn: Callable, level: int = 3) -> str:
    return f"{'#' * level} {title}\n\n" + rst_to_markdown(inspect.getdoc(fn) or "")


def _dedent_tail(text: str) -> str:
    return inspect.cleandoc(text)


# --- reStructuredText (as used in the docstrings) to Markdown ------------------------------


def rst_to_markdown(text: str) -> str:
    """The small part of reStructuredText the docstrings use: ``.. math::`` blocks, simple
    tables (``====`` rules), inline literals and cross-reference roles."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(".. math::"):
            body = [stripped[len(".. math::") :].strip()]
            i += 1
            while i < len(lines) and (lines[i].startswith(" ") and lines[i].strip()):
                body.append(lines[i].strip())
                i += 1
            out += ["", "$$", *[b for b in body if b], "$$", ""]
            continue
        if _is_rule(stripped):
            table, i = _table(lines, i)
            out += ["", *table, ""]
            continue
        out.append(_inline(line))
        i += 1
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _is_rule(line: str) -> bool:
    return bool(line) and set(line) <= {"=", " "} and line.count("=") >= 3


def _table(lines: list[str], start: int) -> tuple[list[str], int]:
    """A simple table from its first rule; returns Markdown rows and the next line index."""
    rule = lines[start]
    spans = [(m.start(), m.end()) for m in re.finditer(r"=+", rule)]
    rows: list[list[str]] = []
    header: list[str] | None = None
    i = start + 1
    rules_seen = 1
    while i < len(lines):
        line = lines[i]
        if _is_rule(line.strip()):
            rules_seen += 1
            i += 1
            if header is None and rules_seen == 2 and len(rows) == 1:
                header = rows.pop()
                continue
            break
        cells = []
        for n, (a, _) in enumerate(spans):
            end = spans[n + 1][0] if n + 1 < len(spans) else len(line)
            cells.append(line[a:end].strip())
        rows.append(cells)
        i += 1
    header = header or (["symbol", "meaning", "unit"] + [""] * len(spans))[: len(spans)]
    md = ["| " + " | ".join(_inline(h) for h in header) + " |", "|" + "---|" * len(header)]
    for cells in rows:
        md.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return md, i


def _cell(text: str) -> str:
    text = _inline(text)
    if text and "\\" in text and "`" not in text:
        return f"${text}$"
    return text.replace("|", "\\|")


def _inline(text: str) -> str:
    text = re.sub(r":(?:func|mod|class|meth|data|attr):`~?\.?([^`]+)`", r"`\1`", text)
    text = re.sub(r":math:`([^`]+)`", r"$\1$", text)
    return text.replace("``", "`")
