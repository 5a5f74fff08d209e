"""The generated parts of docs/fhir.md: the resources irflow serves, their search parameters and
permissions, and the mapping of each element from irflow's record — read from the sources
(irflow.fhirserver.gather) and the mappers' ELEMENTS (irflow.fhir), so the document says what
the code does; `irflow docs --check` fails while it is out of date."""

from __future__ import annotations

from irflow.accounts.permissions import ACTION_LABELS
from irflow.fhir import organization
from irflow.fhirserver.capability import includes, search_parameters
from irflow.fhirserver.gather import RESOURCE_TYPES, SOURCES, sources_of
from irflow.lib.docblocks import DOCS

DOC = DOCS / "fhir.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def resources_table() -> str:
    rows = [
        "| resource | from irflow | id | permission | search parameters | _include |",
        "|---|---|---|---|---|---|",
        "| Organization | the department (the letterhead) | `department` | authenticated "
        "| `_id` | |",
    ]
    for resource_type in RESOURCE_TYPES:
        if resource_type == "Organization":
            continue
        params = ", ".join(f"`{p}`" for p in search_parameters(resource_type))
        include = ", ".join(f"`{i}`" for i in includes(resource_type))
        for source in sources_of(resource_type):
            rows.append(
                f"| {resource_type} | {_cell(source.record)} | `{source.prefix}<n>` "
                f"| `{source.action}` | {params} | {include} |"
            )
    return "\n".join(rows)


def mapping_tables() -> str:
    parts = []
    entries = [("Organization", "the department", organization.ELEMENTS["organization_resource"])]
    entries += [(s.resource_type, s.record, s.elements) for s in SOURCES]
    for resource_type, record, elements in entries:
        parts.append(f"### {resource_type}: {record}\n")
        parts.append("| element | from |\n|---|---|")
        parts += [f"| `{name}` | {_cell(source)} |" for name, source in elements.items()]
        parts.append("")
    return "\n".join(parts).rstrip()


def permissions_note() -> str:
    used = sorted({s.action for s in SOURCES})
    return "\n".join(f"- `{a}`: {ACTION_LABELS[a]}" for a in used)


def generated() -> dict[str, str]:
    return {
        "fhir-resources": resources_table(),
        "fhir-permissions": permissions_note(),
        "fhir-mapping": mapping_tables(),
    }
