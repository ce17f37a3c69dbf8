"""Given FILES, a changed Python module selects only the images whose last check read it or could
now read it (predguard.hooks.incremental); without a record the selection is by path, as before."""
from __future__ import annotations

import json
from pathlib import Path

from tests.hooks.conftest import run_check


def two_images_sharing_a_root_context(root: Path) -> Path:
    """a and b are built from the repository root and both copy shared/; a also imports
    shared.only_a, b tries shared.later (optional, not written yet); nothing imports shared.unused."""
    files = {
        "shared/__init__.py": "",
        "shared/common.py": "VALUE = 1\n",
        "shared/only_a.py": "A = 1\n",
        "shared/unused.py": "U = 1\n",
        "a/__init__.py": "",
        "a/main.py": "import shared.common\nimport shared.only_a\n",
        "b/__init__.py": "",
        "b/main.py": "import shared.common\ntry:\n    import shared.later\nexcept ImportError:\n    pass\n",
        "README.md": "docs\n",
    }
    for name in ("a", "b"):
        files[f"{name}/Dockerfile"] = (f"FROM python:3.12-slim\nWORKDIR /app\nCOPY shared/ ./shared/\nCOPY {name}/ ./{name}/\n"
                                       f'CMD ["python", "-m", "{name}.main"]\n')
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def selected(root: Path, cache_dir: Path | None, *files: str) -> list[str]:
    args = ["--root", root, "--format", "json", *(["--cache-dir", cache_dir] if cache_dir else ["--no-cache"]), *files]
    result = run_check(*args, cwd=root)
    assert result.code in (0, 1) and "Traceback" not in result.stderr, result.stderr
    return [d["path"] for d in json.loads(result.stdout)["dockerfiles"]]


def edit(path: Path) -> None:
    path.write_text(path.read_text() + "# edited\n")


def test_a_changed_module_selects_the_images_that_import_it(tmp_path: Path) -> None:
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    assert selected(root, cache_dir) == ["a/Dockerfile", "b/Dockerfile"]  # the full check records both
    edit(root / "shared/only_a.py")
    assert selected(root, cache_dir, "shared/only_a.py") == ["a/Dockerfile"]
    edit(root / "shared/common.py")
    assert selected(root, cache_dir, "shared/common.py") == ["a/Dockerfile", "b/Dockerfile"]
    edit(root / "shared/unused.py")
    assert selected(root, cache_dir, "shared/unused.py") == []  # in both contexts, imported by neither
    assert selected(root, None, "shared/unused.py") == ["a/Dockerfile", "b/Dockerfile"]  # without a record: by path


def test_a_new_file_selects_the_images_whose_imports_name_it(tmp_path: Path) -> None:
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    selected(root, cache_dir)
    (root / "shared/later.py").write_text("L = 1\n")  # b's optional import now resolves
    (root / "shared/brand_new.py").write_text("N = 1\n")  # nobody imports it
    assert selected(root, cache_dir, "shared/later.py") == ["b/Dockerfile"]
    assert selected(root, cache_dir, "shared/brand_new.py") == []


def test_a_deleted_file_selects_every_image_whose_context_held_it(tmp_path: Path) -> None:
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    selected(root, cache_dir)
    (root / "shared/unused.py").unlink()
    assert selected(root, cache_dir, "shared/unused.py") == ["a/Dockerfile", "b/Dockerfile"]


def test_a_record_made_stale_by_other_changes_is_not_trusted(tmp_path: Path) -> None:
    """A closure file changed without being passed (a checkout, an unstaged edit): judged by path."""
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    selected(root, cache_dir)
    (root / "a/main.py").write_text("import shared.common\nimport shared.only_a\nimport shared.unused\n")
    edit(root / "shared/unused.py")
    # a's record no longer matches a/main.py: a is judged by path (trusted, it would be skipped);
    # b's record is still exact, and b does not import shared.unused.
    assert selected(root, cache_dir, "shared/unused.py") == ["a/Dockerfile"]
    # That check recorded a's new closure, shared.unused included: now selected by its record.
    (root / "shared/brand_new.py").write_text("N = 1\n")
    edit(root / "shared/unused.py")
    assert selected(root, cache_dir, "shared/unused.py", "shared/brand_new.py") == ["a/Dockerfile"]


def test_the_dockerfile_and_requirement_files_still_select_by_path(tmp_path: Path) -> None:
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    selected(root, cache_dir)
    assert selected(root, cache_dir, "b/Dockerfile") == ["b/Dockerfile"]
    (root / "requirements.txt").write_text("requests\n")
    assert selected(root, cache_dir, "requirements.txt") == ["a/Dockerfile", "b/Dockerfile"]
    assert selected(root, cache_dir, "README.md") == []


def test_an_image_without_resolvable_entrypoints_takes_every_new_file_in_its_context(tmp_path: Path) -> None:
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    (root / "b/Dockerfile").write_text("FROM python:3.12-slim\nWORKDIR /app\nCOPY shared/ ./shared/\nCOPY b/ ./b/\n")  # no CMD
    cache_dir = tmp_path / "cache"
    selected(root, cache_dir)
    (root / "shared/brand_new.py").write_text("N = 1\n")
    assert selected(root, cache_dir, "shared/brand_new.py") == ["b/Dockerfile"]
    # In the context (the root) but not copied by b: not one of its entries.
    (root / "tools").mkdir()
    (root / "tools/release.py").write_text("print('x')\n")
    assert selected(root, cache_dir, "tools/release.py") == []
    assert selected(root, None, "tools/release.py") == ["a/Dockerfile", "b/Dockerfile"]


def test_a_first_python_file_in_a_directory_selects_the_images_that_import_the_directory(tmp_path: Path) -> None:
    """`import ns` finds nothing while ns/ holds no Python; ns/mod.py makes ns a namespace package,
    which a's image does not copy. The new file's own name is imported by nobody."""
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    (root / "ns").mkdir()
    (root / "ns/notes.txt").write_text("no Python here yet\n")
    (root / "a/main.py").write_text("import shared.common\nimport shared.only_a\nimport ns\n")
    cache_dir = tmp_path / "cache"
    selected(root, cache_dir)
    (root / "ns/mod.py").write_text("M = 1\n")
    result = run_check("--root", root, "--format", "json", "--cache-dir", cache_dir, "ns/mod.py", cwd=root)
    report = json.loads(result.stdout)
    assert [d["path"] for d in report["dockerfiles"]] == ["a/Dockerfile"]
    assert [f["module"] for f in report["findings"]] == ["ns"] and result.code == 1
    (root / "ns/other.py").write_text("O = 1\n")  # ns held Python already: nothing new for `import ns`
    assert selected(root, cache_dir, "ns/other.py") == []
