"""PG102 end to end: small repositories, the real check-dockerfiles entry point, the JSON contract."""
from __future__ import annotations

from collections.abc import Callable

from tests.hooks.installs.conftest import Checked

Check = Callable[..., Checked]

DOCKERFILE = """
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY svc/ ./svc/
CMD ["python", "-m", "svc.main"]
"""


def service(main: str, requirements: str, dockerfile: str = DOCKERFILE, **extra: str) -> dict[str, str]:
    return {"Dockerfile": dockerfile, "requirements.txt": requirements, "svc/__init__.py": "", "svc/main.py": main, **extra}


def test_a_package_missing_from_the_installed_requirements_is_an_error_with_the_line_to_add(check_tree: Check) -> None:
    result = check_tree(service("import json\n\ndef load():\n    import yaml\n    return yaml\n", "flask==3.1.*\n"))
    assert result.code == 1
    [finding] = result.pg102()
    assert finding["severity"] == "error"
    assert (finding["file"], finding["line"], finding["column"]) == ("svc/main.py", 4, 5)
    assert finding["module"] == "yaml" and finding["distribution"] == "pyyaml"
    assert finding["chain"] == ["svc.main", "yaml"]
    assert "the image installs requirements.txt" in finding["message"]
    assert finding["fix"] == "add 'pyyaml' to requirements.txt"


def test_a_listed_package_is_not_reported_whatever_its_spelling(check_tree: Check) -> None:
    result = check_tree(service("import yaml\nimport sklearn\n", "PyYAML>=6\nScikit_Learn==1.5\n"))
    assert result.pg102() == [] and result.code == 0


def test_google_cloud_storage_and_bigquery_are_told_apart(check_tree: Check) -> None:
    main = "from google.cloud import bigquery, storage\nimport google.cloud.firestore\n"
    result = check_tree(service(main, "google-cloud-bigquery==3.*\ngoogle-cloud-firestore\n"))
    assert sorted(result.by_module()) == ["google.cloud.storage"]
    assert result.by_module()["google.cloud.storage"]["distribution"] == "google-cloud-storage"


def test_an_optional_import_is_a_warning(check_tree: Check) -> None:
    main = "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"
    result = check_tree(service(main, "flask\n"))
    [finding] = result.pg102()
    assert finding["severity"] == "warning" and "optional" in finding["message"]
    assert result.code == 0


def test_an_inline_pragma_silences_pg102(check_tree: Check) -> None:
    result = check_tree(service("import yaml  # predguard: ignore[PG102]\n", "flask\n"))
    assert result.pg102() == []


def test_the_incident_pattern_names_the_file_that_lists_it_and_reuses_its_pin(check_tree: Check) -> None:
    files = service("import boto3\n", "flask\n")
    files["other/requirements.txt"] = "boto3==1.34.10  # used by the exporter\n"
    files["requirements-dev.txt"] = "pytest\n"
    [finding] = check_tree(files).pg102()
    assert "it is listed in other/requirements.txt, which this image does not install" in finding["message"]
    assert finding["fix"] == "add 'boto3==1.34.10' to requirements.txt"


def test_a_requirements_file_copied_from_elsewhere_is_read_from_its_source(check_tree: Check) -> None:
    dockerfile = DOCKERFILE.replace("COPY requirements.txt .", "COPY services/api/requirements.txt ./requirements.txt")
    files = service("import yaml\nimport boto3\n", "boto3\n", dockerfile)  # the root file is not the one installed
    files["services/api/requirements.txt"] = "pyyaml\n"
    result = check_tree(files)
    [finding] = result.pg102()
    assert finding["module"] == "boto3"
    assert "the image installs services/api/requirements.txt" in finding["message"]
    assert "listed in requirements.txt, which this image does not install" in finding["message"]
    assert finding["fix"] == "add 'boto3' to services/api/requirements.txt"


def test_an_import_no_distribution_is_known_for_is_reported_as_such(check_tree: Check) -> None:
    [finding] = check_tree(service("import frobnicator_sdk\n", "flask\n")).pg102()
    assert finding["distribution"] is None and finding["severity"] == "error"
    assert "no known distribution provides 'frobnicator_sdk'" in finding["message"]
    assert "module_map" in finding["fix"]
    listed = check_tree(service("import frobnicator_sdk\n", "frobnicator-sdk\n"))
    assert listed.pg102() == []


def test_module_map_names_the_distribution(check_tree: Check) -> None:
    pyproject = '[tool.predguard]\nmodule_map = { "frob" = "frobnicator-client" }\n'
    assert check_tree(service("import frob.api\n", "frobnicator-client\n", **{"pyproject.toml": pyproject})).pg102() == []
    [finding] = check_tree(service("import frob.api\n", "flask\n", **{"pyproject.toml": pyproject})).pg102()
    assert finding["distribution"] == "frobnicator-client" and "by module_map" in finding["message"]


def test_a_dependency_of_a_listed_distribution_counts_only_where_a_map_says_so(check_tree: Check) -> None:
    assert check_tree(service("import urllib3\nimport certifi\n", "requests\n")).pg102() == []
    no_deps = DOCKERFILE.replace("pip install --no-cache-dir", "pip install --no-deps --no-cache-dir")
    result = check_tree(service("import urllib3\n", "requests\n", no_deps))
    assert [f["distribution"] for f in result.pg102()] == ["urllib3"]
    pyproject = '[tool.predguard]\ndependency_map = { "our-client" = ["urllib3"] }\n'
    assert check_tree(service("import urllib3\n", "our-client\n", **{"pyproject.toml": pyproject})).pg102() == []


def test_the_standard_library_follows_the_image_python_version(check_tree: Check) -> None:
    assert check_tree(service("import tomllib\n", "")).pg102() == []
    old = check_tree(service("import tomllib\n", "", DOCKERFILE.replace("python:3.11-slim", "python:3.10-slim")))
    assert [f["module"] for f in old.pg102()] == ["tomllib"]
    new = check_tree(service("import distutils.util\n", "", DOCKERFILE.replace("python:3.11-slim", "python:3.12-slim")))
    assert [f["module"] for f in new.pg102()] == ["distutils.util"]
    latest = check_tree(service("import yaml\n", "", DOCKERFILE.replace("python:3.11-slim", "python:slim")))
    assert "standard library taken from the running Python" in latest.pg102()[0]["message"]


def test_an_official_python_image_brings_pip_and_setuptools_only_before_3_12(check_tree: Check) -> None:
    assert check_tree(service("import pkg_resources\n", "")).pg102() == []
    result = check_tree(service("import pkg_resources\n", "", DOCKERFILE.replace("python:3.11-slim", "python:3.12-slim")))
    assert [f["distribution"] for f in result.pg102()] == ["setuptools"]


def test_an_unknown_base_image_downgrades_to_a_warning_and_base_packages_completes_it(check_tree: Check) -> None:
    dockerfile = DOCKERFILE.replace("python:3.11-slim", "tensorflow/tensorflow:2.16.1")
    [finding] = check_tree(service("import tensorflow\n", "", dockerfile)).pg102()
    assert finding["severity"] == "warning" and "may preinstall" in finding["message"] and "base_packages" in finding["message"]
    pyproject = '[tool.predguard]\nbase_packages = { "tensorflow/tensorflow" = ["tensorflow", "numpy"] }\n'
    result = check_tree(service("import tensorflow\nimport numpy\nimport yaml\n", "", dockerfile, **{"pyproject.toml": pyproject}))
    assert [(f["module"], f["severity"]) for f in result.pg102()] == [("yaml", "error")]


def test_readme_documents_the_distribution_field_of_the_json_contract() -> None:
    import json
    import re

    from predguard.hooks.model import Finding
    from tests.hooks.conftest import REPO

    readme = (REPO / "README.md").read_text()
    documented = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", readme, re.S) if '"findings"' in block]
    assert documented, "README has no JSON example of check-dockerfiles"
    keys = [set(f) for doc in documented for f in doc["findings"]]
    contract = set(Finding("PG102", "error", "Dockerfile", "m", "a.py", 1, 1).to_json())
    assert all(k == contract for k in keys) and "distribution" in contract
    assert any(f["code"] == "PG102" and f["distribution"] for doc in documented for f in doc["findings"])
    assert '"version": 1' in readme


def test_a_distribution_whose_dependencies_are_unknown_downgrades_to_a_warning_that_names_it(check_tree: Check) -> None:
    # label-studio-ml from git brings label-studio-sdk; no map says so, so predguard cannot be sure either way.
    files = service("import label_studio_ml.api\nimport label_studio_sdk\n",
                    "label-studio-ml @ git+https://github.com/HumanSignal/label-studio-ml-backend.git\n")
    [finding] = check_tree(files).pg102()
    assert finding["module"] == "label_studio_sdk" and finding["severity"] == "warning"
    assert "it may come as a dependency of label-studio-ml" in finding["message"] and "dependency_map" in finding["message"]
    pyproject = '[tool.predguard]\ndependency_map = { "label-studio-ml" = ["label-studio-sdk"] }\n'
    assert check_tree({**files, "pyproject.toml": pyproject}).pg102() == []


def test_buildkit_run_flags_are_not_the_command(check_tree: Check) -> None:
    dockerfile = DOCKERFILE.replace("RUN pip", "RUN --mount=type=cache,target=/root/.cache \\\n    --network=default pip")
    assert check_tree(service("import yaml\n", "pyyaml\n", dockerfile)).pg102() == []


def test_a_package_copied_into_the_image_but_off_sys_path_is_not_a_third_party_finding(check_tree: Check) -> None:
    # `python app/run.py` puts /srv/app on sys.path, not /srv: `import app.config` fails, but that is
    # first-party code the image has (PG101/PG103's subject), not a distribution to install.
    dockerfile = "FROM python:3.11-slim\nWORKDIR /srv\nCOPY app/ ./app/\nCMD [\"python\", \"app/run.py\"]\n"
    result = check_tree({"Dockerfile": dockerfile, "app/__init__.py": "", "app/config.py": "",
                         "app/run.py": "from app.config import x\n"})
    assert result.pg102() == []
