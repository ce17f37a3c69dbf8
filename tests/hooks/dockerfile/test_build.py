"""The image model: which context files land where in the final stage, and what it knows about
WORKDIR, ENV, commands and runs. Each table row is one Dockerfile semantic; rows come in pairs
(a case that must be modelled one way, and its neighbour that must not)."""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.hooks.dockerfile import load_image
from predguard.errors import InputError
from tests.hooks.dockerfile.tree import Link, ModelFn, write_tree

CONTEXT = {
    "pkg/__init__.py": "",
    "pkg/m.py": "",
    "pkg/notes.txt": "",
    "pkg/sub/x.py": "",
    "shared/a.py": "",
    "my file.py": "",
    "a.py": "",
    "src/app/main.py": "",
}


def paths(image_files: dict[str, object]) -> set[str]:
    return set(image_files)


FILE_CASES = [
    # (id, Dockerfile after FROM, expected subset, paths that must be absent)
    ("dir-copies-contents", "WORKDIR /app\nCOPY shared/ ./shared/", {"/app/shared/a.py"}, {"/app/shared/shared/a.py"}),
    ("dir-without-slash-still-contents", "COPY shared /dst/", {"/dst/a.py"}, {"/dst/shared/a.py"}),
    ("file-into-slash-dir", "COPY a.py /d/", {"/d/a.py"}, {"/d"}),
    ("file-to-file-name", "COPY a.py /d", {"/d"}, {"/d/a.py"}),
    ("file-into-existing-workdir", "WORKDIR /app\nCOPY a.py /app", {"/app/a.py"}, {"/app"}),
    ("file-dot-dest", "WORKDIR /w\nCOPY a.py .", {"/w/a.py"}, {"/a.py"}),
    ("relative-dest-against-workdir", "WORKDIR /w\nCOPY a.py sub/", {"/w/sub/a.py"}, {"/sub/a.py"}),
    ("leading-slash-and-dotdot-stripped", "COPY /pkg/m.py ../shared/a.py /d/", {"/d/m.py", "/d/a.py"}, set()),
    ("glob-star-one-level", "COPY pkg/*.py /d/", {"/d/m.py", "/d/__init__.py"}, {"/d/x.py", "/d/sub/x.py", "/d/notes.txt"}),
    ("glob-matched-dir-copies-contents", "COPY pk? /d/", {"/d/m.py", "/d/sub/x.py"}, {"/d/pkg/m.py"}),
    ("glob-class", "COPY pkg/[m].py /d/", {"/d/m.py"}, {"/d/__init__.py"}),
    ("parents-keeps-path", "COPY --parents pkg/sub/x.py /d/", {"/d/pkg/sub/x.py"}, {"/d/x.py"}),
    ("parents-dot-marker", "COPY --parents pkg/./sub/x.py /d/", {"/d/sub/x.py"}, {"/d/pkg/sub/x.py"}),
    ("parents-doublestar", "COPY --parents **/x.py /d/", {"/d/pkg/sub/x.py"}, {"/d/x.py"}),
    ("parents-glob", "COPY --parents pkg/*.py /d/", {"/d/pkg/m.py"}, {"/d/m.py"}),
    ("parents-dir-keeps-its-path", "COPY --parents pkg/sub/ /d/", {"/d/pkg/sub/x.py"}, {"/d/pkg/x.py", "/d/x.py"}),
    ("parents-dir-after-marker", "COPY --parents ./pkg/sub/ /d/", {"/d/pkg/sub/x.py"}, {"/d/sub/x.py"}),
    ("parents-dir-marker-inside", "COPY --parents pkg/./sub/ /d/", {"/d/sub/x.py"}, {"/d/pkg/sub/x.py"}),
    ("exclude-flag", "COPY --exclude=*.txt pkg/ /d/", {"/d/m.py", "/d/sub/x.py"}, {"/d/notes.txt"}),
    ("exclude-repeatable", "COPY --exclude=*.txt --exclude=sub pkg/ /d/", {"/d/m.py"}, {"/d/notes.txt", "/d/sub/x.py"}),
    ("json-form-with-space", 'COPY ["my file.py", "/d/"]', {"/d/my file.py"}, set()),
    ("flags-do-not-move-files", "COPY --chown=1:1 --chmod=644 --link a.py /d/", {"/d/a.py"}, set()),
    ("lowercase-keyword", "copy a.py /d/", {"/d/a.py"}, set()),
    ("arg-in-source", "ARG SRC=pkg\nCOPY ${SRC}/m.py /d/", {"/d/m.py"}, set()),
    ("arg-default-modifier", "COPY ${MISSING:-pkg}/m.py /d/", {"/d/m.py"}, set()),
    ("arg-plus-modifier", "ARG ON=1\nCOPY ${ON:+pkg}/m.py /d/", {"/d/m.py"}, set()),
    ("env-in-dest", "ENV APP=/srv\nCOPY a.py $APP/", {"/srv/a.py"}, {"/a.py"}),
    ("escaped-dollar-literal", "COPY a.py /d/\\$X/", {"/d/$X/a.py"}, set()),
    ("workdir-chain", "WORKDIR /a\nWORKDIR b\nWORKDIR c\nCOPY a.py .", {"/a/b/c/a.py"}, set()),
    ("workdir-env", "ENV BASE=/opt\nWORKDIR $BASE/app\nCOPY a.py .", {"/opt/app/a.py"}, set()),
    ("onbuild-ignored", "ONBUILD COPY a.py /d/", set(), {"/d/a.py"}),
    ("later-copy-overwrites-source", "COPY a.py /d/x.py\nCOPY shared/a.py /d/x.py", {"/d/x.py"}, set()),
    ("copy-heredoc-not-from-context", "COPY <<EOF /d/a.py\nX = 1\nEOF", set(), {"/d/a.py"}),
    ("empty-continuation-kept", "COPY a.py \\\n\n  /d/", {"/d/a.py"}, {"/a.py"}),
]


@pytest.mark.parametrize(("body", "present", "absent"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_files_land_where_buildkit_puts_them(model: ModelFn, body: str, present: set[str], absent: set[str]) -> None:
    image = model(f"FROM python:3.11-slim\n{body}\n", CONTEXT)
    assert present <= paths(image.files)
    assert not absent & paths(image.files)
    assert not [p for p in image.problems if p.severity == "error"]


def test_file_records_source_and_line(model: ModelFn, tmp_path: Path) -> None:
    image = model("FROM a\nWORKDIR /app\nCOPY shared/ ./shared/\n", CONTEXT)
    entry = image.files["/app/shared/a.py"]
    assert entry.source == (tmp_path / "shared/a.py").resolve()
    assert entry.line == 3


def test_copy_overwrite_keeps_last_source(model: ModelFn, tmp_path: Path) -> None:
    image = model("FROM a\nCOPY a.py /d/x.py\nCOPY shared/a.py /d/x.py\n", CONTEXT)
    assert image.files["/d/x.py"].source == (tmp_path / "shared/a.py").resolve()
    assert image.files["/d/x.py"].line == 3


# -- stages ---------------------------------------------------------------------------------------

MULTISTAGE = """\
FROM python:3.11-slim AS base
ENV APP=/srv/app

FROM base AS builder
WORKDIR /src
COPY src/ ./
RUN pip install --prefix=/install -r requirements.txt

FROM base
WORKDIR $APP
COPY --from=builder /install /usr/local
COPY --from=builder /src/ ./
CMD ["python", "-m", "app.main"]
"""


def test_copy_from_stage_propagates_files(model: ModelFn) -> None:
    image = model(MULTISTAGE, CONTEXT)
    assert image.workdir == "/srv/app"  # ENV inherited through FROM base
    assert image.files["/srv/app/app/main.py"].line == 12  # the final stage's COPY --from line
    assert "/usr/local" in image.opaque_dirs  # made by a RUN in builder: unknown content
    assert image.stage == "2"
    assert image.runs == ((7, "pip install --prefix=/install -r requirements.txt"),)


def test_without_copy_from_the_builder_files_are_absent(model: ModelFn) -> None:
    image = model(MULTISTAGE.replace("COPY --from=builder /src/ ./\n", ""), CONTEXT)
    assert not image.files


def test_target_selects_a_stage(model: ModelFn) -> None:
    image = model(MULTISTAGE, CONTEXT, target="builder")
    assert set(image.files) == {"/src/app/main.py"}
    assert image.stage == "builder"
    assert image.cmd is None


def test_unknown_target_is_an_input_error(model: ModelFn) -> None:
    with pytest.raises(InputError, match="target stage 'nope' not found"):
        model(MULTISTAGE, CONTEXT, target="nope")


def test_from_stage_inherits_files_and_commands(model: ModelFn) -> None:
    image = model("FROM a AS one\nCOPY a.py /app/\nCMD python /app/a.py\nFROM one\nENV X=1\n", CONTEXT)
    assert "/app/a.py" in image.files and image.files["/app/a.py"].line == 2
    assert image.cmd is not None and image.cmd.argv == ("python", "/app/a.py") and image.cmd.shell


def test_from_external_image_inherits_nothing(model: ModelFn) -> None:
    image = model("FROM a AS one\nCOPY a.py /app/\nFROM python:3.11\n", CONTEXT)
    assert not image.files


@pytest.mark.parametrize(
    ("body", "opaque"),
    [
        ("COPY --from=ghcr.io/astral-sh/uv:latest /uv /bin/", "/bin"),
        ("ADD https://example.com/x.tar.gz /opt/x/", "/opt/x"),
        ("ADD git@github.com:org/repo.git /opt/repo", "/opt/repo"),
        ("ADD bundle.tar.gz /opt/b/", "/opt/b"),
        ("ADD --checksum=sha256:0123 https://example.com/tool.bin /opt/tool", "/opt/tool"),
        ("ADD --keep-git-dir=true https://github.com/org/repo.git /src/", "/src"),
        ("COPY --from=Builder_Image:1 /x /y/", "/y"),
    ],
)
def test_what_we_cannot_see_is_opaque(model: ModelFn, body: str, opaque: str) -> None:
    image = model(f"FROM a\n{body}\n", {**CONTEXT, "bundle.tar.gz": b"\x1f\x8b"})
    assert opaque in image.opaque_dirs
    assert not image.files


def test_add_local_plain_file_is_like_copy(model: ModelFn) -> None:
    image = model("FROM a\nADD a.py /d/\n", CONTEXT)
    assert set(image.files) == {"/d/a.py"} and not image.opaque_dirs


def test_stage_names_are_case_insensitive(model: ModelFn) -> None:
    image = model("FROM a As Builder\nCOPY pkg/ /pkg/\nfrom b\nCOPY --from=BUILDER /pkg/m.py /app/\n", CONTEXT)
    assert set(image.files) == {"/app/m.py"}


def test_copy_from_stage_index(model: ModelFn) -> None:
    image = model("FROM a\nCOPY pkg/ /pkg/\nFROM b\nCOPY --from=0 /pkg/m.py /app/\n", CONTEXT)
    assert set(image.files) == {"/app/m.py"}


# -- variables ------------------------------------------------------------------------------------


def test_global_arg_is_visible_only_to_from(model: ModelFn) -> None:
    image = model("ARG DIR=pkg\nFROM a\nCOPY $DIR/m.py /d/\n", CONTEXT)
    assert sorted(p.code for p in image.problems) == ["PG105", "PG106"]


def test_redeclared_global_arg_uses_its_default(model: ModelFn) -> None:
    image = model("ARG DIR=pkg\nFROM a\nARG DIR\nCOPY $DIR/m.py /d/\n", CONTEXT)
    assert set(image.files) == {"/d/m.py"} and not image.problems


def test_global_arg_in_from(model: ModelFn) -> None:
    image = model("ARG BASE=builder\nFROM a AS builder\nCOPY a.py /x/\nFROM ${BASE}\n", CONTEXT)
    assert set(image.files) == {"/x/a.py"} and not image.problems


def test_build_arg_overrides_default(model: ModelFn) -> None:
    image = model("FROM a\nARG DIR=shared\nCOPY $DIR/ /d/\n", CONTEXT, build_args={"DIR": "pkg"})
    assert "/d/m.py" in image.files and "/d/a.py" not in image.files


def test_build_arg_needs_a_declared_arg(model: ModelFn) -> None:
    image = model("FROM a\nCOPY $DIR/m.py /d/\n", CONTEXT, build_args={"DIR": "pkg"})
    assert "PG106" in {p.code for p in image.problems}


def test_env_final_and_expanded(model: ModelFn) -> None:
    image = model('FROM a AS b\nENV A=1\nFROM b\nARG V=2\nENV B=$A-$V C="x y" D=${NOPE:-d}\nENV A 10 20\n', CONTEXT)
    assert image.env == {"A": "10 20", "B": "1-2", "C": "x y", "D": "d"}
    assert not image.problems


def test_env_snapshot_per_instruction(model: ModelFn) -> None:
    image = model("FROM a\nENV A=1\nENV A=2 B=$A\n", CONTEXT)
    assert image.env == {"A": "2", "B": "1"}


@pytest.mark.parametrize(
    ("body", "undefined"),
    [
        ("COPY a.py /d/$UNSET/", ["UNSET"]),
        ("COPY a.py /d/${UNSET:-x}/", []),
        ("ENV PATH=/opt/bin:$PATH", []),
        ("ARG DECLARED\nCOPY a.py /d/$DECLARED/", []),
        ("WORKDIR /w/${NOPE}", ["NOPE"]),
        ("RUN echo $NOT_EXPANDED_BY_BUILDER", []),
    ],
)
def test_undefined_variables(model: ModelFn, body: str, undefined: list[str]) -> None:
    image = model(f"FROM a\n{body}\n", CONTEXT)
    found = [p for p in image.problems if p.code == "PG106"]
    assert [p.message.split("'")[1] for p in found] == undefined
    assert all(p.severity == "warning" for p in found)


def test_escape_directive_backtick(model: ModelFn) -> None:
    image = model("# escape=`\nFROM a\nWORKDIR C:\\app\nCOPY a.py `\n  /d/\n", CONTEXT)
    assert "/d/a.py" in image.files and image.workdir == "/C:\\app"


# -- commands and runs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "entrypoint", "cmd"),
    [
        ('CMD ["python", "-m", "app"]', None, (("python", "-m", "app"), False)),
        ("CMD python -m app", None, (("python", "-m", "app"), True)),
        ('CMD ["python", app.py]', None, (("[python,", "app.py]"), True)),  # invalid JSON: shell form
        ("CMD exec gunicorn 'a b':app", None, (("exec", "gunicorn", "a b:app"), True)),
        ('ENTRYPOINT ["gunicorn"]\nCMD ["app:app"]', (("gunicorn",), False), (("app:app",), False)),
    ],
)
def test_commands(model: ModelFn, body: str, entrypoint: tuple[tuple[str, ...], bool] | None, cmd: tuple[tuple[str, ...], bool] | None) -> None:
    image = model(f"FROM a\n{body}\n", CONTEXT)
    assert ((image.entrypoint.argv, image.entrypoint.shell) if image.entrypoint else None) == entrypoint
    assert ((image.cmd.argv, image.cmd.shell) if image.cmd else None) == cmd


def test_entrypoint_resets_inherited_cmd(model: ModelFn) -> None:
    image = model('FROM a AS b\nCMD ["x"]\nFROM b\nENTRYPOINT ["y"]\n', CONTEXT)
    assert image.cmd is None and image.entrypoint is not None


def test_runs_include_heredoc_bodies_and_builder_stages(model: ModelFn) -> None:
    image = model("FROM a AS b\nRUN <<EOF\npip install flask\nEOF\nFROM c AS unused\nRUN pip install nope\nFROM b\nRUN [\"pip\", \"install\", \"x\"]\n", CONTEXT)
    assert image.runs == ((2, "<<EOF\npip install flask\nEOF"), (8, "pip install x"))


def test_copies_are_resolved_against_workdir(model: ModelFn) -> None:
    image = model("FROM a\nWORKDIR /app\nCOPY pkg/ ./pkg/\nCOPY --from=x:1 /y z\n", CONTEXT)
    assert [(c.line, c.sources, c.dest, c.from_stage) for c in image.copies] == [(3, ("pkg/",), "/app/pkg", None), (4, ("/y",), "/app/z", "x:1")]


def test_pragmas_reach_the_image(model: ModelFn) -> None:
    image = model("# predguard: ignore[PG105]\nFROM a\n# predguard: ignore[PG101]\nCOPY a.py /d/\n", CONTEXT)
    assert image.ignored_codes == {0: frozenset({"PG105"}), 4: frozenset({"PG101"})}


# -- context problems (PG105) ---------------------------------------------------------------------


def test_missing_literal_source_is_an_error_at_its_column(model: ModelFn) -> None:
    image = model("FROM a\nCOPY a.py missing/ /d/\n", CONTEXT)
    (problem,) = image.problems
    assert (problem.code, problem.severity, problem.line, problem.column) == ("PG105", "error", 2, 11)
    assert "'missing/' does not exist in the build context" in problem.message
    assert problem.file == problem.dockerfile == "Dockerfile" and problem.service is None and problem.fix


def test_existing_source_is_no_problem(model: ModelFn) -> None:
    assert model("FROM a\nCOPY a.py /d/\n", CONTEXT).problems == ()


def test_source_on_a_continuation_line_points_there(model: ModelFn) -> None:
    image = model("FROM a\nCOPY a.py \\\n     nope.py /d/\n", CONTEXT)
    assert [(p.line, p.column) for p in image.problems] == [(3, 6)]


def test_wildcard_matching_nothing_is_a_warning(model: ModelFn) -> None:
    image = model("FROM a\nCOPY *.cfg /d/\n", CONTEXT)
    assert [(p.code, p.severity) for p in image.problems] == [("PG105", "warning")]


def test_problems_only_from_stages_that_are_built(model: ModelFn) -> None:
    image = model("FROM a AS unused\nCOPY nope.py /\nFROM b\nCOPY a.py /\n", CONTEXT)
    assert image.problems == ()


@pytest.mark.parametrize(
    ("ignore", "body", "problem", "present", "absent"),
    [
        ("pkg/notes.txt", "COPY pkg/ /d/", None, "/d/m.py", "/d/notes.txt"),
        ("**/sub", "COPY pkg/ /d/", None, "/d/m.py", "/d/sub/x.py"),
        ("pkg\n!pkg/m.py", "COPY pkg/ /d/", None, "/d/m.py", "/d/__init__.py"),
        ("*.py", "COPY a.py /d/", "excluded from the build context by .dockerignore:1 ('*.py')", None, "/d/a.py"),
        ("pkg/", "COPY pkg/m.py /d/", "excluded from the build context by .dockerignore:1 ('pkg')", None, "/d/m.py"),
    ],
)
def test_dockerignore_applies(model: ModelFn, ignore: str, body: str, problem: str | None, present: str | None, absent: str) -> None:
    image = model(f"FROM a\n{body}\n", {**CONTEXT, ".dockerignore": ignore})
    assert [p.message.split("' is ", 1)[1] for p in image.problems] == ([problem] if problem else [])
    if present:
        assert present in image.files
    assert absent not in image.files


def test_dockerfile_specific_dockerignore_wins(tmp_path: Path) -> None:
    write_tree(tmp_path, {**CONTEXT, ".dockerignore": "pkg", "svc/Dockerfile": "FROM a\nCOPY pkg/ /d/\n", "svc/Dockerfile.dockerignore": "**/*.txt"})
    image = load_image(tmp_path / "svc/Dockerfile", tmp_path, root=tmp_path)
    assert "/d/m.py" in image.files and "/d/notes.txt" not in image.files


# -- symlinks -------------------------------------------------------------------------------------


def test_top_symlink_to_dir_is_followed(model: ModelFn) -> None:
    image = model("FROM a\nCOPY link/ /d/\n", {**CONTEXT, "link": Link("pkg")})
    assert "/d/m.py" in image.files


def test_symlink_loop_is_reported_not_followed(model: ModelFn) -> None:
    image = model("FROM a\nCOPY loop/ /d/\nCOPY pkg/ /p/\n", {**CONTEXT, "loop": Link("loop2"), "loop2": Link("loop")})
    assert [(p.code, p.severity, "symlink loop" in p.message) for p in image.problems] == [("PG105", "error", True)]
    assert "/p/m.py" in image.files


def test_symlink_loop_inside_a_copied_dir_is_skipped(model: ModelFn) -> None:
    image = model("FROM a\nCOPY . /all/\n", {**CONTEXT, "pkg/self": Link("."), "pkg/l1": Link("l2"), "pkg/l2": Link("l1")})
    assert "/all/pkg/m.py" in image.files and not any("/self/" in p for p in image.files)
    assert image.problems == ()


def test_git_dir_is_skipped(model: ModelFn) -> None:
    image = model("FROM a\nCOPY . /all/\n", {**CONTEXT, ".git/HEAD": "ref"})
    assert "/all/a.py" in image.files and "/all/.git/HEAD" not in image.files


# -- input errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no FROM instruction"),
        ("# only a comment\n", "no FROM instruction"),
        ("RUN echo hi\n", "no FROM instruction"),
    ],
)
def test_not_a_dockerfile(model: ModelFn, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        model(text)


def test_missing_context_directory(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM a\n")
    with pytest.raises(InputError, match="build context 'nope' is not a directory") as info:
        load_image(tmp_path / "Dockerfile", tmp_path / "nope", root=tmp_path)
    assert info.value.where == "Dockerfile"


def test_unterminated_heredoc(model: ModelFn) -> None:
    with pytest.raises(InputError, match="unterminated heredoc") as info:
        model("FROM a\nRUN <<EOF\npip install x\n")
    assert info.value.where == "Dockerfile:2"


def test_unreadable_dockerfile(tmp_path: Path) -> None:
    # A dangling symlink cannot be read, even by root (chmod 000 would be readable to root).
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "gone")
    with pytest.raises(InputError, match="cannot read Dockerfile") as info:
        load_image(tmp_path / "Dockerfile", tmp_path, root=tmp_path)
    assert info.value.where == "Dockerfile"


@pytest.mark.parametrize(
    ("link", "target", "present"),
    [
        ("pkg/alias.py", "m.py", True),  # target copied too: the link works in the image
        ("pkg/outside.py", "../shared/a.py", False),  # leaves the copied tree: dangles in the image
        ("pkg/abs.py", "/etc/hostname", False),  # absolute: points into the image, not the context
        ("pkg/broken.py", "nope.py", False),
    ],
)
def test_symlinks_inside_a_copied_dir_are_links(model: ModelFn, link: str, target: str, present: bool) -> None:
    image = model("FROM a\nCOPY pkg/ /d/\n", {**CONTEXT, link: Link(target)})
    assert (f"/d/{link.split('/', 1)[1]}" in image.files) is present


def test_column_is_the_whole_source_word(model: ModelFn) -> None:
    image = model("FROM a\nCOPY data.py ta.py /d/\n", {"data.py": ""})
    assert [(p.line, p.column) for p in image.problems] == [(2, 14)]


@pytest.mark.parametrize(("body", "warned"), [("USER $APP_USER", True), ("ARG APP_USER=app\nUSER $APP_USER", False), ("LABEL v=$VERSION", True)])
def test_undefined_variables_in_other_builder_instructions(model: ModelFn, body: str, warned: bool) -> None:
    image = model(f"FROM a\n{body}\n", CONTEXT)
    assert bool([p for p in image.problems if p.code == "PG106"]) is warned


@pytest.mark.parametrize(("data", "message"), [(b"pkg\n\xff\n", "not valid UTF-8")])
def test_unreadable_dockerignore(model: ModelFn, data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        model("FROM a\nCOPY pkg/ /d/\n", {**CONTEXT, ".dockerignore": data})
    assert info.value.where == ".dockerignore"
