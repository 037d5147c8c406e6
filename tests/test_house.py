"""The rules of the house, checked on the source tree (issue 12).

1. Only ``crawler/`` imports Scrapy or Twisted (the library and the benchmarks do not;
   the tests may, to test the crawler).
2. Nothing in ``src/pipeline`` imports ``crawler``.
3. The rooms of ``src/pipeline`` are layered, low to high: ``text`` < ``registry`` <
   ``discover``, ``extract`` < ``archive`` < ``crawling`` < ``search`` < ``export`` < ``web``
   < ``cli``; ``demo`` may import anything except ``cli`` and ``web``; ``config``, ``errors`` and
   ``record`` are the ground floor and import only ``text`` (or each other). A module imports its
   own room and lower rooms only; imports inside functions count too.
4. No module in ``src/pipeline`` or ``crawler/`` is over 600 lines, no function over 80 lines.

The checker reads the files with :mod:`ast` (nothing is imported) and reports every violation
as ``file:line``. Run ``python -m tests.test_house`` to print them all.
"""

from __future__ import annotations

import ast
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

GROUND = frozenset({"config", "errors", "record"})
# Height of each room; a module may import its own room, or a room strictly lower. The CLI
# stands just above the web UI because `baotinh serve` starts it; the web UI never imports the CLI.
LEVELS: dict[str, float] = {
    "ground": 0, "text": 1, "registry": 2, "discover": 3, "extract": 3, "archive": 4,
    "crawling": 5, "backfill": 5.5, "search": 6, "export": 6.5, "demo": 6.75, "web": 7, "cli": 7.5, "__main__": 8,
    # pipeline/__init__.py: the public API, names loaded on first use from the rooms below it
    "facade": 8,
}

# Known violations of the tree, each a Violation.key with the reason it stands. The test fails
# on an entry that no longer matches anything, so the list cannot go stale.
ALLOWED: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Violation:
    path: str  # relative to the tree's root, with forward slashes
    line: int
    rule: str  # "scrapy", "crawler", "layering", "module-size" or "function-size"
    subject: str  # what the allow-list names: an imported module, a function, or ""
    message: str

    @property
    def key(self) -> str:
        return f"{self.rule} {self.path}" + (f" {self.subject}" if self.subject else "")

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


def _python_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path, package_root: Path, package: str) -> str:
    parts = list(path.relative_to(package_root).with_suffix("").parts)
    return ".".join([package, *parts])


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module named by an import statement anywhere in ``tree``, absolute, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".") if is_package else module.split(".")[:-1]
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            if base == "pipeline":  # `from pipeline import archive` names a room
                for alias in node.names:
                    yield node.lineno, f"{base}.{alias.name}"
            else:
                yield node.lineno, base


def room_of(module: str) -> str | None:
    """The room of a ``pipeline`` module: ``pipeline.archive.db`` -> ``archive``."""
    parts = module.split(".")
    if parts[0] != "pipeline" or len(parts) == 1:
        return None
    name = parts[1]
    if name in GROUND:
        return "ground"
    return name if name in LEVELS else None


def may_import(importer: str, imported: str) -> bool:
    if importer == imported:
        return True
    if importer == "ground":
        return imported == "text"
    if importer == "demo" and imported in ("web", "cli"):
        return False
    return LEVELS[imported] < LEVELS[importer]


def _layering(rel: str, module: str, tree: ast.AST, is_package: bool) -> Iterator[Violation]:
    importer = "facade" if module == "pipeline" else (room_of(module) or "ground")
    for line, target in _imports(tree, module, is_package):
        top = target.split(".")[0]
        if top == "crawler":
            yield Violation(rel, line, "crawler", target, f"imports {target}: the library never imports the crawler")
        imported = room_of(target)
        if imported is None or may_import(importer, imported):
            continue
        yield Violation(rel, line, "layering", f"-> {imported}",
                        f"{importer} imports {target} ({imported} is not below {importer})")


def _scrapy(rel: str, module: str, tree: ast.AST, is_package: bool) -> Iterator[Violation]:
    for line, target in _imports(tree, module, is_package):
        if target.split(".")[0] in ("scrapy", "twisted"):
            yield Violation(rel, line, "scrapy", target, f"imports {target}: only crawler/ may")


def _sizes(rel: str, source: str, tree: ast.AST) -> Iterator[Violation]:
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        yield Violation(rel, lines, "module-size", "", f"{lines} lines (at most {MAX_MODULE_LINES})")
    yield from _long_functions(rel, tree, "")


def _long_functions(rel: str, node: ast.AST, prefix: str) -> Iterator[Violation]:
    for child in ast.iter_child_nodes(node):
        name = prefix
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    yield Violation(rel, child.lineno, "function-size", name,
                                    f"{name} has {length} lines (at most {MAX_FUNCTION_LINES})")
            name += "."
        yield from _long_functions(rel, child, name)


def check_tree(root: Path) -> list[Violation]:
    """Every violation of the house rules in the tree at ``root``."""
    found: list[Violation] = []
    packages = [(root / "src" / "pipeline", "pipeline", True), (root / "crawler", "crawler", False)]
    for package_root, package, is_library in packages:
        for path in _python_files(package_root):
            rel = path.relative_to(root).as_posix()
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source, filename=rel)
            module = _module_name(path, package_root, package)
            is_package = path.name == "__init__.py"
            if is_package:
                module = module.removesuffix(".__init__")
            if is_library:
                found.extend(_layering(rel, module, tree, is_package))
                found.extend(_scrapy(rel, module, tree, is_package))
            found.extend(_sizes(rel, source, tree))
    for path in _python_files(root / "benchmarks"):
        rel = path.relative_to(root).as_posix()
        found.extend(_scrapy(rel, "benchmarks", ast.parse(path.read_text(encoding="utf-8")), False))
    return sorted(found, key=lambda v: (v.path, v.line, v.rule))


def test_the_house_rules_hold() -> None:
    violations = check_tree(ROOT)
    new = [str(v) for v in violations if v.key not in ALLOWED]
    assert not new, "the house rules are broken:\n" + "\n".join(new)


def test_the_allow_list_has_no_stale_entry() -> None:
    keys = {v.key for v in check_tree(ROOT)}
    stale = sorted(ALLOWED - keys)
    assert not stale, "fixed, so remove from ALLOWED in tests/test_house.py:\n" + "\n".join(stale)


def _copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("src", "crawler", "benchmarks"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, root / name, ignore=ignore)
    return root


def test_a_back_import_is_reported_with_its_line(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    before = {v.key for v in check_tree(root)}
    (root / "src/pipeline/text/_bad.py").write_text(
        '"""A deliberate back-import."""\n\nfrom __future__ import annotations\n\n\n'
        "def late() -> None:\n    from pipeline.cli import main  # noqa: F401\n\n\n"
        "import pipeline.archive.db  # noqa: E402\n", encoding="utf-8")
    added = [v for v in check_tree(root) if v.key not in before]
    assert [str(v) for v in added] == [
        "src/pipeline/text/_bad.py:7: [layering] text imports pipeline.cli (cli is not below text)",
        "src/pipeline/text/_bad.py:10: [layering] text imports pipeline.archive.db (archive is not below text)",
    ]


def test_siblings_crawler_scrapy_and_sizes_are_reported(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    before = {v.key for v in check_tree(root)}
    (root / "src/pipeline/extract/_peer.py").write_text(
        "from pipeline.discover import classify\nimport crawler.settings\nfrom twisted.internet import reactor\n"
        "from pipeline.demo import site\n", encoding="utf-8")
    (root / "src/pipeline/demo/_up.py").write_text("from ..web import app\n", encoding="utf-8")
    (root / "src/pipeline/errors.py").write_text(
        (root / "src/pipeline/errors.py").read_text(encoding="utf-8") + "\nfrom pipeline.registry import load\n",
        encoding="utf-8")
    body = "".join(f"    x{i} = {i}\n" for i in range(80))
    (root / "crawler/_long.py").write_text(f"def long() -> None:\n{body}\n" + "\n" * 600, encoding="utf-8")
    added = {(v.path, v.rule, v.subject) for v in check_tree(root) if v.key not in before}
    assert added == {
        ("src/pipeline/extract/_peer.py", "layering", "-> discover"),
        ("src/pipeline/extract/_peer.py", "crawler", "crawler.settings"),
        ("src/pipeline/extract/_peer.py", "scrapy", "twisted.internet"),
        ("src/pipeline/extract/_peer.py", "layering", "-> demo"),
        ("src/pipeline/demo/_up.py", "layering", "-> web"),
        ("src/pipeline/errors.py", "layering", "-> registry"),
        ("crawler/_long.py", "module-size", ""),
        ("crawler/_long.py", "function-size", "long"),
    }


def test_the_layers_allow_what_the_house_plan_says() -> None:
    assert may_import("archive", "extract") and may_import("archive", "text") and may_import("cli", "demo")
    assert may_import("demo", "search") and may_import("ground", "text") and may_import("text", "ground")
    assert may_import("cli", "web")  # `baotinh serve`
    assert not may_import("demo", "cli") and not may_import("demo", "web") and not may_import("web", "cli")
    assert not may_import("search", "export") and not may_import("registry", "discover")
    assert room_of("pipeline.config") == "ground" and room_of("pipeline.archive.db") == "archive"
    assert room_of("pipeline") is None and room_of("pipelinex.a") is None


if __name__ == "__main__":
    for violation in check_tree(ROOT):
        print(violation, "(allowed)" if violation.key in ALLOWED else "")
    sys.exit(0)
