"""[tool.predguard] for check-dockerfiles: the documented schema, and every way it can be wrong."""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.hooks.config import load_config
from predguard.errors import InputError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "svc").mkdir(exist_ok=True)
    (tmp_path / "svc" / "Dockerfile").write_text("FROM python:3.11-slim\n")
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return path


def test_full_schema_is_read_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, """
[tool.predguard]
context = "."
exclude = ["**/testdata/**"]
first_party = ["shared"]
build_args = { APP_HOME = "/srv" }

[[tool.predguard.services]]
name = "coordinator"
dockerfile = "svc/Dockerfile"
context = "svc"
entrypoints = ["svc.app"]
build_args = { MODE = "prod" }
target = "runtime"
""")
    config = load_config(path)
    assert config.source == path
    assert config.context == tmp_path.resolve()
    assert config.exclude == ("**/testdata/**",)
    assert config.first_party == frozenset({"shared"})
    assert dict(config.build_args) == {"APP_HOME": "/srv"}
    (service,) = config.services
    assert service.name == "coordinator"
    assert service.dockerfile == (tmp_path / "svc" / "Dockerfile").resolve()
    assert service.context == (tmp_path / "svc").resolve()
    assert service.entrypoints == ("svc.app",)
    assert dict(service.build_args) == {"MODE": "prod"}
    assert service.target == "runtime"
    assert config.service_for(tmp_path / "svc" / "Dockerfile") is service
    assert config.service_for(tmp_path / "other" / "Dockerfile") is None


def test_no_file_and_no_table_mean_defaults(tmp_path: Path) -> None:
    assert load_config(None).services == ()
    config = load_config(write(tmp_path, "[project]\nname = 'x'\n"))
    assert (config.context, config.exclude, config.first_party, dict(config.build_args)) == (None, (), None, {})


def test_other_commands_sub_tables_are_left_alone(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[tool.predguard]\ncontext = '.'\n[tool.predguard.drift]\nthreshold = 0.55\n"))
    assert config.context == tmp_path.resolve()


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[tool.predguard]\ncontexts = '.'\n", "unknown key 'tool.predguard.contexts'"),
        ("[tool.predguard]\nbuild_arg = { APP_HOME = '/srv' }\n", "unknown key 'tool.predguard.build_arg'"),
        ("[tool.predguard.drfit]\nfloor = 0.5\n", "unknown key 'tool.predguard.drfit'"),
        ("[tool.predguard]\ncontext = 3\n", "'tool.predguard.context' must be a non-empty string, not an integer"),
        ("[tool.predguard]\nexclude = 'tests'\n", "'tool.predguard.exclude' must be a list of non-empty strings, not a string"),
        ("[tool.predguard]\nfirst_party = [1]\n", "'tool.predguard.first_party' must be a list"),
        ("[tool.predguard]\nbuild_args = { V = 3 }\n", "'tool.predguard.build_args.V' must be a string, not an integer"),
        ("[tool.predguard]\nbuild_args = 'x'\n", "'tool.predguard.build_args' must be a table"),
        ("[tool.predguard.services]\ndockerfile = 'svc/Dockerfile'\n", "must be an array of tables"),
        ("[[tool.predguard.services]]\nname = 'x'\n", "'tool.predguard.services[0].dockerfile' is required"),
        ("[[tool.predguard.services]]\ndockerfile = 'nope/Dockerfile'\n", "'tool.predguard.services[0].dockerfile': no such file"),
        ("[[tool.predguard.services]]\ndockerfile = 'svc/Dockerfile'\nentrypoint = ['a']\n",
         "unknown key 'tool.predguard.services[0].entrypoint'"),
        ("[[tool.predguard.services]]\ndockerfile = 'svc/Dockerfile'\ntarget = true\n",
         "'tool.predguard.services[0].target' must be a non-empty string, not a boolean"),
        ("[[tool.predguard.services]]\ndockerfile = 'svc/Dockerfile'\n[[tool.predguard.services]]\ndockerfile = 'svc/Dockerfile'\n",
         "'tool.predguard.services[1].dockerfile' repeats services[0]"),
        ("[tool.predguard\ncontext = '.'\n", "invalid TOML"),
    ],
)
def test_bad_configuration_names_the_key_and_the_file(tmp_path: Path, toml: str, expected: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(InputError) as raised:
        load_config(path)
    assert expected in raised.value.message
    assert raised.value.where == str(path)


def test_missing_config_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="configuration file not found"):
        load_config(tmp_path / "absent.toml")
