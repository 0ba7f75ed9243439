"""docs/model.md is generated from the model's docstrings and kept in step with them."""

from __future__ import annotations

from pathlib import Path

from ecopark_opt.core.families import FAMILIES
from ecopark_opt.outputs.reference import model_markdown, rst_to_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_committed_model_page_is_what_the_docstrings_give():
    page = ROOT / "docs" / "model.md"
    assert page.read_text(encoding="utf-8") == model_markdown(), (
        "docs/model.md is stale: run python scripts/make_docs.py"
    )


def test_every_family_has_a_section_with_its_maths():
    text = model_markdown()
    for name, family in FAMILIES.items():
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        assert "$$" in section or not family.constraints, name


def test_math_blocks_and_simple_tables_become_markdown():
    rst = """Text with ``code`` and :func:`~a.b`.

.. math:: x \\le y
          + z

==  =====  ====
a   alpha  t
b   beta   —
==  =====  ====
"""
    md = rst_to_markdown(rst)
    assert "Text with `code` and `a.b`." in md
    assert "$$\nx \\le y\n+ z\n$$" in md
    assert "| symbol | meaning | unit |" in md and "| a | alpha | t |" in md
