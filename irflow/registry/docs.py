"""The generated parts of docs/registry.md: the families (which catalogue codes) and every
element of every family's dataset, read from irflow.registry.datasets, and the M&M grade
thresholds from irflow.registry.mm; `irflow docs --check` fails while they are out of date."""

from __future__ import annotations

from irflow.lib.docblocks import DOCS
from irflow.registry import datasets, mm

DOC = DOCS / "registry.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def families_table() -> str:
    rows = ["| family | label | catalogue codes |", "|---|---|---|"]
    for f in datasets.FAMILIES:
        codes = [f"`{c}`" for c in f.procedure_codes]
        codes += [f"every procedure of the category `{c}`" for c in f.categories]
        rows.append(f"| `{f.code}` | {_cell(f.label)} | {', '.join(codes)} |")
    return "\n".join(rows)


def _elements_table(els: tuple[datasets.Element, ...]) -> str:
    rows = [
        "| element | definition | type | required | source in irflow |",
        "|---|---|---|---|---|",
    ]
    for e in els:
        required = "yes" if e.required else "no"
        if e.required and e.required_note:
            required = f"yes ({e.required_note})"
        name = f"`{e.name}`" + (" (identified export only)" if e.identifying else "")
        rows.append(
            f"| {name} | {_cell(e.definition)} | {e.type} | {required} | {_cell(e.source)} |"
        )
    return "\n".join(rows)


def datasets_text() -> str:
    parts = [
        f"Dataset version {datasets.DATASET_VERSION}. Every family's file has the common "
        "elements, then its own.",
        "",
        "#### Common elements",
        "",
        _elements_table(datasets.COMMON),
    ]
    for f in datasets.FAMILIES:
        parts += [
            "",
            f"#### {f.label} (`{f.code}`)",
            "",
            _elements_table(datasets.FAMILY_ELEMENTS[f.code]),
        ]
    return "\n".join(parts)


def mm_thresholds() -> str:
    titles = {"sir-2017": "SIR 2017", "sir-legacy": "legacy SIR", "cirse-2017": "CIRSE 2017"}
    order = {"sir-2017": list(mm.SIR_ORDER)}
    rows = ["| grade system | grades that qualify |", "|---|---|"]
    for system, codes in mm.MODERATE_OR_WORSE.items():
        ranked = order.get(system) or sorted(codes)
        rows.append(f"| {titles[system]} | {', '.join(f'`{c}`' for c in ranked if c in codes)} |")
    return "\n".join(rows)


def generated() -> dict[str, str]:
    return {
        "registry-families": families_table(),
        "registry-datasets": datasets_text(),
        "mm-thresholds": mm_thresholds(),
    }
