"""Import name -> distribution: the shipped table, RECORD reading, longest-prefix lookup, names, markers."""
from __future__ import annotations

import json
from importlib import metadata, resources

import pytest

from predguard.hooks.installs.distributions import DistributionIndex, modules_from_record, shipped_dependencies, shipped_modules
from predguard.hooks.installs.names import marker_environment, marker_holds, normalise, parse_specifier
from predguard.hooks.installs.stdlib import stdlib_modules

COMMON_MISMATCHES = {
    "yaml": "pyyaml", "sklearn": "scikit-learn", "cv2": "opencv-python-headless", "PIL": "pillow", "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil", "google.cloud.storage": "google-cloud-storage", "google.cloud.bigquery": "google-cloud-bigquery",
    "google.cloud.firestore": "google-cloud-firestore", "google.protobuf": "protobuf", "jwt": "pyjwt", "dotenv": "python-dotenv",
    "attr": "attrs", "OpenSSL": "pyopenssl", "psycopg2": "psycopg2-binary", "dns": "dnspython", "jose": None, "magic": None,
}


def test_the_shipped_table_is_made_from_real_wheels_and_covers_the_common_mismatches() -> None:
    data = json.loads(resources.files("predguard.hooks.data").joinpath("module_map.json").read_text())
    assert len(data["distributions"]) >= 150 and len(data["modules"]) >= 150
    table = shipped_modules()
    for module, dist in COMMON_MISMATCHES.items():
        if dist is None:
            assert module not in table  # not invented: no wheel we read ships it
        else:
            assert dist in table[module], module
    assert set(table["cv2"]) >= {"opencv-python", "opencv-python-headless"}  # either one provides cv2
    assert "google" not in table and "google.cloud" not in table  # namespaces belong to nobody


def test_the_dependency_map_holds_unconditional_and_extra_dependencies() -> None:
    deps = shipped_dependencies()
    assert {"urllib3", "idna", "certifi", "charset-normalizer"} <= set(deps["requests"][""])
    assert "pysocks" in deps["requests"]["socks"] and "pysocks" not in deps["requests"][""]
    assert "google-api-core" in deps["google-cloud-bigquery"][""]


def test_record_paths_map_namespace_packages_to_their_first_regular_package() -> None:
    record = [
        "google/cloud/storage/__init__.py", "google/cloud/storage/blob.py", "google/cloud/storage/_http.py",
        "google_cloud_storage-2.18.0.dist-info/RECORD", "google/cloud/client.py", "../../bin/gsutil",
        "_yaml.cpython-311-x86_64-linux-gnu.so", "six.py", "tests/test_blob.py", "google/__pycache__/x.cpython-311.pyc",
    ]
    assert modules_from_record(record) == {"google.cloud.storage", "google.cloud.client", "_yaml", "six"}


def test_installed_distributions_are_read_from_their_record() -> None:
    try:
        metadata.distribution("google-cloud-bigquery")
    except metadata.PackageNotFoundError:
        pytest.skip("google-cloud-bigquery is not installed next to predguard here")
    index = DistributionIndex()
    provider = index.provider("google.cloud.bigquery.table")
    assert provider is not None and provider.prefix == "google.cloud.bigquery" and "google-cloud-bigquery" in provider.distributions


def test_longest_prefix_and_the_users_word_wins() -> None:
    index = DistributionIndex({"google.cloud.storage": ["our-storage-fork"], "ours": "our-dist"}, use_installed=False)  # type: ignore[dict-item]
    assert index.provider("google.cloud.storage.blob").distributions == ("our-storage-fork",)  # type: ignore[union-attr]
    assert index.provider("google.cloud.bigquery").distributions == ("google-cloud-bigquery",)  # type: ignore[union-attr]
    assert index.provider("google.cloud") is None and index.has_below("google.cloud")


@pytest.mark.parametrize(("raw", "expected"), [
    ("Google_Cloud.Storage", "google-cloud-storage"), ("PyYAML", "pyyaml"), ("ruamel.yaml", "ruamel-yaml"), ("a__b--c", "a-b-c"),
])
def test_pep_503_normalisation(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(("text", "name", "extras", "reference"), [
    ("requests[socks, security]>=2 ; python_version >= '3.8'", "requests", {"socks", "security"}, None),
    ("named @ https://example.com/x.zip", "named", set(), "https://example.com/x.zip"),
    ("./dist/our_lib-1.0-py3-none-any.whl", "our-lib", set(), "./dist/our_lib-1.0-py3-none-any.whl"),
    (".[gcs,yaml]", None, {"gcs", "yaml"}, "."),
    ("git+https://h/x.git#egg=tool", "tool", set(), "git+https://h/x.git#egg=tool"),
])
def test_specifiers(text: str, name: str | None, extras: set[str], reference: str | None) -> None:
    spec = parse_specifier(text)
    assert spec is not None and (spec.name, set(spec.extras), spec.reference) == (name, extras, reference)


def test_not_a_requirement() -> None:
    assert parse_specifier("flask is great") is None


@pytest.mark.parametrize(("marker", "holds"), [
    ("python_version < '3.11'", False), ("python_version >= '3.11'", True), ("python_version == '3.11.*'", True),
    ("sys_platform == 'win32'", False), ("sys_platform != 'win32' and python_version > '3.8'", True),
    ("(os_name == 'nt' or platform_system == 'Linux') and implementation_name == 'cpython'", True),
    ("platform_machine == 'x86_64'", True),  # unknown to us: assume it holds
    ("this is not a marker", True),
])
def test_markers_for_a_linux_python_3_11_image(marker: str, holds: bool) -> None:
    assert marker_holds(marker, marker_environment("3.11")) is holds


def test_standard_library_by_version() -> None:
    assert "tomllib" in stdlib_modules("3.11") and "tomllib" not in stdlib_modules("3.10")
    assert "distutils" in stdlib_modules("3.11") and "distutils" not in stdlib_modules("3.12")
    assert "imghdr" in stdlib_modules("3.12") and "imghdr" not in stdlib_modules("3.13")
    assert "zoneinfo" not in stdlib_modules("3.8") and "dummy_threading" in stdlib_modules("3.8")
    assert {"os", "json", "asyncio"} <= stdlib_modules(None)
