"""The structure holds: every app sits in a layer, imports only from its layer or below, never
in a circle, and never a private name of another app (read from the code's own import
statements, those inside functions included); services and selectors are fully annotated and
take an actor that is never None. Tests, migrations and the test helpers in irflow/testing are
left out. docs/architecture.md shows the same layers."""

from __future__ import annotations

import ast
from pathlib import Path

from irflow.layers import LAYERS, PURE

ROOT = Path(__file__).resolve().parents[1] / "irflow"


def _apps(root: Path = ROOT) -> set[str]:
    return {
        p.name
        for p in root.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in {"testing", "templates"}
    }


def _sources(root: Path = ROOT):
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if len(parts) < 2 or "tests" in parts or "migrations" in parts or parts[0] == "testing":
            continue
        yield parts[0], path


def _imports(path: Path):
    """(imported module, names imported from it, line) of every import in `path`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno


def _edges(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    apps = _apps(root)
    edges: dict[tuple[str, str], list[str]] = {}
    for app, path in _sources(root):
        for module, _, line in _imports(path):
            bits = module.split(".")
            if bits[0] == "irflow" and len(bits) > 1 and bits[1] in apps and bits[1] != app:
                where = f"{path.relative_to(root.parent)}:{line}"
                edges.setdefault((app, bits[1]), []).append(where)
    return edges


def _cycles(edges) -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_every_app_has_a_layer():
    assert _apps() == set(LAYERS), "place the new app in LAYERS (and docs/architecture.md)"


def test_no_import_cycle_between_apps():
    assert _cycles(_edges()) == []


def test_no_app_imports_from_a_higher_layer():
    upward = [
        f"{a} (layer {LAYERS[a]}) imports {b} (layer {LAYERS[b]}): {', '.join(where)}"
        for (a, b), where in sorted(_edges().items())
        if LAYERS[b] > LAYERS[a]
    ]
    assert upward == []


PROJECT = {p.stem for p in ROOT.glob("*.py")} - {"__init__", "layers"}


def test_no_app_imports_the_project_modules_above_it():
    """irflow.api, irflow.urls, irflow.settings… assemble the apps; an app that imported one
    would import every other app through it (the API's shared types are in lib.apischema)."""
    found = [
        f"{path.relative_to(ROOT.parent)}:{line} {module}"
        for _app, path in _sources()
        for module, names, line in _imports(path)
        if module.split(".")[:2] in (["irflow", m] for m in PROJECT)
        or (module == "irflow" and PROJECT & set(names))
    ]
    assert found == []


def test_nothing_below_imports_the_day_of_the_case():
    below = [(a, where) for (a, b), where in _edges().items() if b == "dayofcase"]
    assert all(LAYERS[a] == 5 for a, _ in below), below


def test_the_pure_cores_import_no_django():
    found = [
        f"{path.relative_to(ROOT.parent)}:{line} {module}"
        for app, path in _sources()
        if app in PURE
        for module, _, line in _imports(path)
        if module.split(".")[0] in {"django", "ninja", "auditlog"}
        or (module.startswith("irflow.") and module.split(".")[1] not in PURE | {"lib"})
    ]
    assert found == []


def test_no_private_name_of_another_app_is_imported():
    found = [
        f"{path.relative_to(ROOT.parent)}:{line} {module}.{name}"
        for app, path in _sources()
        for module, names, line in _imports(path)
        if module.startswith("irflow.") and module.split(".")[1] != app
        for name in names
        if name.startswith("_")
    ]
    assert found == []


def test_a_lower_app_importing_the_top_layer_is_caught(tmp_path):
    """The checks can fail: a record app importing the day of the case (inside a function,
    to dodge a circle) is an upward edge, and with the way back it is a cycle."""
    fake = tmp_path / "irflow"
    for app in LAYERS:
        (fake / app / "x").mkdir(parents=True)
        (fake / app / "__init__.py").write_text("")
    (fake / "scheduling" / "x" / "views.py").write_text(
        "def f():\n    from irflow.dayofcase.services import case_move\n"
    )
    (fake / "dayofcase" / "x" / "services.py").write_text("import irflow.scheduling.models\n")
    edges = _edges(fake)
    assert ("scheduling", "dayofcase") in edges and LAYERS["dayofcase"] > LAYERS["scheduling"]
    assert _cycles(edges) == [["dayofcase", "scheduling"]]


# Model writes, as the ORM spells them. `.update(` counts only on a queryset (`.objects…`,
# `.filter(…)`): a dict's update is no write.
INSTANCE_WRITES = {"save", "delete"}
QUERY_WRITES = {"create", "update", "delete", "bulk_create", "bulk_update"}
QUERY_WRITES |= {"get_or_create", "update_or_create"}
READ_ONLY_MODULES = ("views.py", "api.py", "selectors.py")


def _writes(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = ast.unparse(node.func.value)
        name = node.func.attr
        on_query = ".objects" in receiver or "filter(" in receiver or receiver.endswith("_set")
        if name in INSTANCE_WRITES or (name in QUERY_WRITES and on_query):
            found.append(f"{path.relative_to(root.parent)}:{node.lineno} {receiver}.{name}(")
    return found


def _read_only(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return (
        path.name in READ_ONLY_MODULES
        or "selectors" in parts
        or "templatetags" in parts
        or "handlers" in parts
    )


def test_views_api_handlers_and_selectors_write_nothing():
    """Writes are services' (the access log is written through irflow.audit.services)."""
    found = [w for _, path in _sources() if _read_only(path) for w in _writes(path)]
    assert found == []


def test_the_write_check_sees_a_write(tmp_path):
    view = tmp_path / "irflow" / "views.py"
    view.parent.mkdir()
    body = ["def v(r):", "Thing.objects.filter(a=1).update(b=2)", "context.update(x=1)", "o.save()"]
    view.write_text("\n    ".join(body) + "\n")
    assert [w.split(" ", 1)[1] for w in _writes(view, tmp_path / "irflow")] == [
        "Thing.objects.filter(a=1).update(",
        "o.save(",
    ]


def test_templates_live_in_their_app():
    """`irflow/<app>/templates/<app>/…`; irflow/templates holds the site-wide few only."""
    misplaced = [
        str(t.relative_to(ROOT))
        for t in ROOT.glob("*/templates/**/*.html")
        if t.relative_to(ROOT).parts[2] != t.relative_to(ROOT).parts[0]
    ]
    assert misplaced == []
    site_wide = {t.name for t in (ROOT / "templates").rglob("*.html")}
    assert site_wide == {"base.html", "403.html", "404.html", "500.html"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _module_exists(name: str) -> bool:
    base = ROOT.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _module_edges() -> dict[str, set[str]]:
    """Module -> the irflow modules of its own app it imports (`from a.b import c` is a.b.c
    when c is a module, else a.b)."""
    edges: dict[str, set[str]] = {}
    for app, path in _sources():
        name = _module_name(path)
        for module, names, _ in _imports(path):
            if not module.startswith(f"irflow.{app}"):
                continue
            targets = [f"{module}.{n}" for n in names if _module_exists(f"{module}.{n}")]
            if not targets or len(targets) < len(names):
                targets.append(module)
            edges.setdefault(name, set()).update(t for t in targets if t != name)
    return edges


def test_no_import_cycle_inside_an_app():
    edges = {(a, b) for a, targets in _module_edges().items() for b in targets}
    assert _cycles(edges) == []


def test_template_tags_load_nothing():
    """Pages get what they show from their views; a template tag formats, it never reads."""
    found = [
        f"{path.relative_to(ROOT.parent)}:{line} {module}"
        for _, path in _sources()
        if "templatetags" in path.parts
        for module, _, line in _imports(path)
        if module.endswith((".selectors", ".services")) or ".selectors." in module
    ]
    assert found == []


def _boundary_modules(root: Path = ROOT):
    """The services and selectors: `services.py`, `selectors.py` and the modules of the
    `services/` and `selectors/` packages."""
    for _, path in _sources(root):
        folders = set(path.relative_to(root).parts[:-1])
        if path.name in ("services.py", "selectors.py") or folders & {"services", "selectors"}:
            yield path


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
            params += [a for a in (args.vararg, args.kwarg) if a is not None]
            defaults = dict(zip([a.arg for a in args.kwonlyargs], args.kw_defaults, strict=True))
            # Positional defaults belong to the last positional parameters.
            positional = [*args.posonlyargs, *args.args][::-1]
            defaults |= dict(zip([a.arg for a in positional], args.defaults[::-1], strict=False))
            yield node, params, defaults


def _untyped(path: Path, root: Path = ROOT) -> list[str]:
    """Functions missing an annotation, with what they miss."""
    found = []
    for node, params, _ in _functions(path):
        missing = [p.arg for p in params if p.annotation is None and p.arg not in ("self", "cls")]
        missing += ["return"] if node.returns is None else []
        if missing:
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            found.append(f"{where} {node.name}: {', '.join(missing)}")
    return found


def _mentions_none(annotation: ast.expr | None) -> bool:
    return annotation is not None and any(
        (isinstance(n, ast.Constant) and n.value is None)
        or (isinstance(n, ast.Name | ast.Attribute) and ast.unparse(n).endswith("Optional"))
        or (isinstance(n, ast.Constant) and isinstance(n.value, str) and "None" in n.value)
        for n in ast.walk(annotation)
    )


def _actor_may_be_none(path: Path, root: Path = ROOT) -> list[str]:
    """Functions whose `actor` defaults to None or is annotated as possibly None."""
    found = []
    for node, params, defaults in _functions(path):
        for p in params:
            default = defaults.get(p.arg)
            if p.arg == "actor" and (
                _mentions_none(p.annotation)
                or (isinstance(default, ast.Constant) and default.value is None)
            ):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name}")
    return found


def test_services_and_selectors_are_fully_annotated():
    """The typed boundary every entry point calls (mypy's disallow_untyped_defs holds it too)."""
    assert [f for path in _boundary_modules() for f in _untyped(path)] == []


def test_no_service_or_selector_accepts_a_missing_actor():
    """An actor is a person or the system actor (`irflow.accounts.actors`), never None: no
    check is skipped for want of one."""
    assert [f for path in _boundary_modules() for f in _actor_may_be_none(path)] == []


def test_the_boundary_checks_see_what_they_refuse(tmp_path):
    root = tmp_path / "irflow"
    services = root / "app" / "services" / "things.py"
    services.parent.mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    services.write_text(
        "def thing_make(*, actor=None, thing_id: int) -> None: ...\n"
        "def thing_move(*, actor: 'Actor | None', thing_id: int) -> None: ...\n"
        "def thing_keep(*, actor: Actor, thing_id: int) -> None: ...\n"
        "def thing_get(thing_id: int, *rest: int, **more): ...\n"
    )
    (root / "app" / "views.py").write_text("def view(request): ...\n")
    assert list(_boundary_modules(root)) == [services]
    assert [f.split(" ", 1)[1] for f in _untyped(services, root)] == [
        "thing_make: actor",
        "thing_get: more, return",
    ]
    assert [f.split(" ", 1)[1] for f in _actor_may_be_none(services, root)] == [
        "thing_make",
        "thing_move",
    ]
