"""Map the repository's top-level folders into the one import name `predguard`.

The folders stay where the product's design puts them (hooks/, verify/, processors/,
monitors/); installed, they are `predguard.hooks`, `predguard.verify`, … so they never
collide with a platform's own top-level `processors/` or `monitors/`. Everything else about
the distribution is declared in pyproject.toml; only the package list is computed here, so a
new subpackage can never be left out of the wheel.
"""

from setuptools import find_packages, setup

PACKAGE_DIRS = {
    "predguard": "predguard",
    "predguard.hooks": "hooks",
    "predguard.verify": "verify",
    "predguard.processors": "processors",
    "predguard.monitors": "monitors",
}

packages = []
for name, folder in PACKAGE_DIRS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(package_dir=PACKAGE_DIRS, packages=packages)
