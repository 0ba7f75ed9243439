"""Regenerate docs/workbook.md from the workbook schema: ``python scripts/make_docs.py``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecopark_opt.inputs.template import workbook_markdown  # noqa: E402

DOCS_PAGE = ROOT / "docs" / "workbook.md"


def main() -> None:
    DOCS_PAGE.parent.mkdir(parents=True, exist_ok=True)
    DOCS_PAGE.write_text(workbook_markdown(), encoding="utf-8")
    print(f"wrote {DOCS_PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
