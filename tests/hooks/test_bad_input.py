"""Every bad input, through the real CLI: a clear finding (exit 1) or one error line (exit 2),
never a traceback and never a silent pass."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.hooks.conftest import CliResult, run_check

PROG = "predguard check-dockerfiles: error: "
# Every test runs with and without the persistent cache (tests/hooks/conftest.py: cache_mode).
pytestmark = pytest.mark.usefixtures("cache_mode")
DOCKERFILE = 'FROM python:3.11-slim\nWORKDIR /app\nCOPY app/ ./app/\nCMD ["python", "-m", "app.main"]\n'


def service(root: Path, util: bytes = b"X = 1\n", dockerfile: str = DOCKERFILE) -> Path:
    """A one-service repository: app.main imports app.util, whose bytes are the bad input."""
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("import app.util\n")
    (root / "app" / "util.py").write_bytes(util)
    (root / "Dockerfile").write_text(dockerfile)
    return root


def one_error_line(result: CliResult, *fragments: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(PROG), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def finding(result: CliResult, code: str, file: str) -> dict[str, object]:
    assert "Traceback" not in result.stderr, result.stderr
    document = json.loads(result.stdout)
    matches = [f for f in document["findings"] if f["code"] == code and f["file"] == file]
    assert matches, document
    return matches[0]


def check_json(root: Path, *args: str) -> CliResult:
    return run_check("--root", root, "--format", "json", *args, cwd=root)


def test_the_unbroken_service_passes(tmp_path: Path) -> None:
    result = check_json(service(tmp_path))
    assert result.code == 0, result.stdout + result.stderr  # so each case below fails because of its bad input


@pytest.mark.parametrize(
    ("util", "hint"),
    [
        (b"def broken(:\n    pass\n", "syntax"),
        (b'print "hello from python 2"\n', "syntax"),
        (b"NAME = '\xff\xfe caf\xe9'\n", "encoding"),
        (b"X = 1\x00\n", "NUL"),
    ],
    ids=["syntax-error", "python-2", "non-utf8", "nul-byte"],
)
def test_an_unparsable_python_file_is_a_pg104_finding(tmp_path: Path, util: bytes, hint: str) -> None:
    result = check_json(service(tmp_path, util=util))
    assert result.code == 1
    found = finding(result, "PG104", "app/util.py")
    assert found["severity"] == "error" and hint.lower() in str(found["message"]).lower(), found


def test_an_unterminated_heredoc_is_one_error_line(tmp_path: Path) -> None:
    root = service(tmp_path, dockerfile="FROM python:3.11-slim\nRUN <<EOF\necho never closed\n")
    one_error_line(check_json(root), "Dockerfile", "heredoc")


def test_an_empty_dockerfile_is_one_error_line(tmp_path: Path) -> None:
    root = service(tmp_path, dockerfile="")
    result = check_json(root)
    one_error_line(result, "Dockerfile")
    assert json.loads(result.stdout)["dockerfiles"] == [
        {"path": "Dockerfile", "context": ".", "entrypoints": [], "status": "error"}]


def test_continued_lines_before_from_and_copy_are_joined_as_buildkit_does(tmp_path: Path) -> None:
    # A line holding only the escape continues into the next one (comment and empty lines in
    # between dropped): BuildKit reads `FROM` and `COPY` here, so must we (no "no FROM", no COPY skipped).
    dockerfile = DOCKERFILE.replace("FROM", "\\\n# base image\n\nFROM").replace(
        "COPY app/ ./app/", "COPY app/ ./app/\n\\\nCOPY\\\n config/settings.toml ./")
    result = check_json(service(tmp_path, dockerfile=dockerfile))
    assert result.code == 1, (result.stdout, result.stderr)
    found = finding(result, "PG105", "Dockerfile")
    assert found["line"] == 9 and "config/settings.toml" in str(found["message"])
    assert json.loads(result.stdout)["dockerfiles"][0]["entrypoints"], result.stdout


def test_a_copy_continued_on_the_last_line_is_checked(tmp_path: Path) -> None:
    # The file ends inside a continuation: BuildKit ends the instruction there and runs the COPY.
    dockerfile = DOCKERFILE + "COPY config/settings.toml ./ \\\n"
    result = check_json(service(tmp_path, dockerfile=dockerfile))
    assert result.code == 1, (result.stdout, result.stderr)
    found = finding(result, "PG105", "Dockerfile")
    assert found["line"] == 5 and "config/settings.toml" in str(found["message"])


def test_a_copy_of_a_missing_path_is_a_pg105_finding(tmp_path: Path) -> None:
    root = service(tmp_path, dockerfile=DOCKERFILE.replace("COPY app/ ./app/", "COPY app/ ./app/\nCOPY config/settings.toml ./"))
    result = check_json(root)
    assert result.code == 1
    found = finding(result, "PG105", "Dockerfile")
    assert found["line"] == 4 and "config/settings.toml" in str(found["message"])


def test_an_unknown_arg_is_reported(tmp_path: Path) -> None:
    root = service(tmp_path, dockerfile=DOCKERFILE.replace("COPY app/ ./app/", "COPY ${SRC_DIR}/ ./app/"))
    result = check_json(root)
    found = finding(result, "PG106", "Dockerfile")
    assert "SRC_DIR" in str(found["message"]) and found["line"] == 3 and found["severity"] == "warning"
    assert json.loads(result.stdout)["dockerfiles"][0]["status"] == "findings"  # reported, not a silent pass


def test_a_symlink_loop_in_the_context_is_neither_a_crash_nor_a_hang(tmp_path: Path) -> None:
    root = service(tmp_path)
    os.symlink("..", root / "app" / "loop")  # app/loop -> . : endless if followed
    os.symlink("self", root / "self")  # a link to itself
    result = check_json(root)
    assert "Traceback" not in result.stderr
    # Docker copies links inside a copied directory as links: the image is fine, and says so.
    assert result.code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["dockerfiles"][0]["status"] == "ok"
    # The same loop named as a COPY source cannot be built: a finding or an error line, never a pass.
    (root / "Dockerfile").write_text(DOCKERFILE.replace("COPY app/ ./app/", "COPY app/ ./app/\nCOPY self ./self"))
    looped = check_json(root)
    assert "Traceback" not in looped.stderr and looped.code in (1, 2), looped.stdout + looped.stderr


def test_a_missing_configured_context_is_one_error_line(tmp_path: Path) -> None:
    root = service(tmp_path)
    (root / "pyproject.toml").write_text('[tool.predguard]\ncontext = "build/context"\n')
    one_error_line(check_json(root), "pyproject.toml", "build/context", "not a directory")


def test_a_5_mb_generated_module_is_checked_to_its_last_line(tmp_path: Path) -> None:
    lines = [f"CONSTANT_{i:06d} = {{'id': {i}, 'name': 'generated constant number {i}'}}\n" for i in range(80_000)]
    body = "".join(lines) + "import app.not_copied\n"
    assert len(body) > 5_000_000
    root = service(tmp_path, util=body.encode())
    (root / "extra").mkdir()
    (root / "extra" / "__init__.py").write_text("")
    (root / "app" / "not_copied.py").write_text("")
    (root / "Dockerfile").write_text(DOCKERFILE.replace("COPY app/ ./app/",
                                                        "COPY app/__init__.py app/main.py app/util.py ./app/"))
    result = check_json(root)
    assert result.code == 1, result.stdout + result.stderr
    found = finding(result, "PG101", "app/util.py")
    assert found["module"] == "app.not_copied" and found["line"] == len(lines) + 1


@pytest.mark.parametrize(
    ("toml", "fragments"),
    [
        ("[tool.predguard\n", ("pyproject.toml", "invalid TOML")),
        ("[tool.predguard]\nexclude = 'x'\n", ("pyproject.toml", "'tool.predguard.exclude' must be a list")),
        ("[tool.predguard]\ncontxt = '.'\n", ("pyproject.toml", "unknown key 'tool.predguard.contxt'")),
    ],
    ids=["invalid-toml", "wrong-type", "unknown-key"],
)
def test_bad_configuration_is_one_error_line(tmp_path: Path, toml: str, fragments: tuple[str, ...]) -> None:
    root = service(tmp_path)
    (root / "pyproject.toml").write_text(toml)
    result = check_json(root)
    one_error_line(result, *fragments)
    assert result.stdout == ""


def test_an_explicit_config_file_that_does_not_exist(tmp_path: Path) -> None:
    one_error_line(check_json(service(tmp_path), "--config", "nope.toml"), "nope.toml", "not found")


def test_an_unknown_format_is_one_error_line(tmp_path: Path) -> None:
    one_error_line(run_check("--root", service(tmp_path), "--format", "xml"), "--format", "xml")


def test_an_unknown_option_is_one_error_line(tmp_path: Path) -> None:
    one_error_line(run_check("--root", service(tmp_path), "--frmat", "json"), "--frmat")


def test_a_root_that_does_not_exist_is_one_error_line(tmp_path: Path) -> None:
    one_error_line(run_check("--root", tmp_path / "absent"), "--root", "not a directory")


def test_one_bad_dockerfile_does_not_hide_the_others(tmp_path: Path) -> None:
    root = service(tmp_path)
    (root / "broken").mkdir()
    (root / "broken" / "Dockerfile").write_text("# only a comment\n")
    result = check_json(root)
    one_error_line(result, "broken/Dockerfile")
    statuses = {d["path"]: d["status"] for d in json.loads(result.stdout)["dockerfiles"]}
    assert statuses == {"Dockerfile": "ok", "broken/Dockerfile": "error"}


def test_an_unreadable_dockerfile_elsewhere_does_not_block_unrelated_changes(tmp_path: Path) -> None:
    root = service(tmp_path)
    (root / "broken").mkdir()
    (root / "broken" / "Dockerfile").write_bytes(b"\x00\xff")
    (root / "broken" / "tool.py").write_text("")
    unrelated = run_check("--root", root, "app/util.py", cwd=root)
    assert unrelated.code == 0 and unrelated.stderr == "", unrelated.stdout + unrelated.stderr
    related = run_check("--root", root, "broken/tool.py", cwd=root)
    one_error_line(related, "broken/Dockerfile", "NUL")


def test_a_missing_configured_context_fails_every_run_even_with_unrelated_files(tmp_path: Path) -> None:
    root = service(tmp_path)
    (root / "pyproject.toml").write_text('[tool.predguard]\ncontext = "gone"\n')
    one_error_line(run_check("--root", root, "app/util.py", cwd=root), "pyproject.toml", "gone")


def test_a_dockerfile_that_is_a_symlink_loop_is_one_error_line(tmp_path: Path) -> None:
    root = service(tmp_path)
    (root / "loop").mkdir()
    (root / "loop" / "Dockerfile").symlink_to("Dockerfile")
    result = check_json(root)
    one_error_line(result, "loop/Dockerfile", "symlink loop")
    statuses = {d["path"]: d["status"] for d in json.loads(result.stdout)["dockerfiles"]}
    assert statuses["Dockerfile"] == "ok"  # the other image is still checked


def test_a_fifo_named_dockerfile_is_one_error_line_not_a_hang(tmp_path: Path) -> None:
    root = service(tmp_path)
    (root / "pipe").mkdir()
    os.mkfifo(root / "pipe" / "Dockerfile")
    one_error_line(run_check("--root", root, cwd=root, timeout=30), "pipe/Dockerfile", "not a regular file")


def test_an_unreadable_directory_in_the_context_is_one_error_line_not_missing_files() -> None:
    """docker build fails on an unreadable directory too; predguard must not call its files
    'missing or excluded by .dockerignore'. Root reads everything, so the check runs in a forked
    child that drops to an unprivileged user (after this process has loaded every module)."""
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    import io
    import contextlib
    import pkgutil
    import importlib

    import predguard.hooks
    from predguard.cli import main

    for module in pkgutil.walk_packages(predguard.hooks.__path__, "predguard.hooks."):
        importlib.import_module(module.name)  # the child cannot read the interpreter's files
    import shutil
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="predguard-unreadable-"))  # pytest's own is private to root
    tmp_path.chmod(0o755)
    root = tmp_path / "repo"
    service(root)
    (root / "app" / "secret").mkdir()
    (root / "app" / "secret" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("import app.secret\n")
    for path in [tmp_path, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    root.chmod(0o755)
    (root / "app" / "secret").chmod(0)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, run the check, report through the pipe
        code = 99
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            err = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                code = main(["check-dockerfiles", "--root", str(root), "--no-cache"])
            os.write(write, err.getvalue().encode())
        except BaseException:  # noqa: BLE001 - whatever broke, the parent must see it
            import traceback

            os.write(write, traceback.format_exc().encode())
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        stderr = pipe.read()
    _, status = os.waitpid(pid, 0)
    (root / "app" / "secret").chmod(0o755)
    shutil.rmtree(tmp_path)
    assert os.waitstatus_to_exitcode(status) == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(PROG) and "cannot read directory app/secret" in lines[0], stderr
