"""Regenerate docs/workbook.md (from the workbook schema) and docs/model.md (from the model's
docstrings): ``python scripts/make_docs.py``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecopark_opt.inputs.template import workbook_markdown  # noqa: E402
from ecopark_opt.outputs.reference import model_markdown  # noqa: E402

PAGES = {
    ROOT / "docs" / "workbook.md": workbook_markdown,
    ROOT / "docs" / "model.md": model_markdown,
}


def main() -> None:
    for page, make in PAGES.items():
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(make(), encoding="utf-8")
        print(f"wrote {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
