"""final/'s layout rules (STYLE.md §6), checked on the source like 500 Lines' layout tests: the wings
keep out of each other's way, only the composition roots put them together, no chapter imports
final/, and each wing says what it is."""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WINGS = ("catalog", "s3", "multipart", "containers", "cli", "web")
FORBIDDEN = {                                   # wing -> what it must not import
    "containers": ("final.s3", "final.catalog", "final.multipart", "final.web", "final.cli"),
    "s3": ("final.containers",),
    "cli": ("final.api_server", "final.data_server", "final.containers", "final.catalog", "final.s3",
            "final.multipart", "final.web", "chapter"),
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


@pytest.mark.parametrize("chapter", sorted(p.name for p in REPO.glob("chapter0*")))
def test_no_chapter_imports_final(chapter):
    for path in modules(chapter):
        assert not any(name == "final" or name.startswith("final.") for name in imports(path)), path


@pytest.mark.parametrize("wing", sorted(FORBIDDEN))
def test_a_wing_imports_none_of_what_it_must_keep_out_of(wing):
    for path in modules(f"final/{wing}"):
        bad = [n for n in imports(path) if any(n == f or n.startswith(f + ".") or
                                               (f == "chapter" and n.startswith("chapter")) for f in FORBIDDEN[wing])]
        assert not bad, (path, bad)


def test_only_the_two_composition_roots_import_more_than_one_wing():
    for path in modules("final"):
        wings = {n.split(".")[1] for n in imports(path) if n.startswith("final.") and n.split(".")[1] in WINGS}
        own = path.relative_to(REPO / "final").parts[0]
        wings.discard(own)
        if path.relative_to(REPO) not in (Path("final/api_server/app.py"), Path("final/data_server/app.py")):
            assert len(wings) <= 1, (path, wings)


def test_each_wing_says_what_is_new_changed_and_reused():
    for wing in WINGS:
        init = REPO / "final" / wing / "__init__.py"
        if init.exists():
            text = ast.get_docstring(ast.parse(init.read_text())) or ""
            assert all(word in text for word in ("New", "Changed", "Reused")), wing
