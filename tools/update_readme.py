"""Regenerate the generated parts of README.md: the schema tables and the CLI table.

    .venv/bin/python tools/update_readme.py

``tests/test_docs.py`` fails when README.md is out of date with either.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import typer.main  # noqa: E402

from graph.schema import schema_markdown  # noqa: E402
from patentnav.cli import app  # noqa: E402


def cli_rows(group, prefix: str = "patentnav") -> list[str]:
    rows: list[str] = []
    for name, cmd in sorted(getattr(group, "commands", {}).items()):
        path = f"{prefix} {name}"
        summary = " ".join((cmd.help or cmd.short_help or "").split("\n\n")[0].split())
        rows.append(f"| `{path}` | {summary.replace('|', chr(92) + '|')} |")
        rows.extend(cli_rows(cmd, path))
    return rows


def render(readme: str) -> str:
    readme = re.sub(
        r"(<!-- schema:begin -->\n).*?(\n<!-- schema:end -->)",
        lambda m: m.group(1) + schema_markdown() + m.group(2),
        readme,
        flags=re.S,
    )
    table = "\n".join(
        ["| command | what it does |", "|---|---|", *cli_rows(typer.main.get_command(app))]
    )
    return re.sub(
        r"(<!-- cli:begin -->\n).*?(\n<!-- cli:end -->)",
        lambda m: m.group(1) + table + m.group(2),
        readme,
        flags=re.S,
    )


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {path}")
