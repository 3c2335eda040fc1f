"""pyproject.toml, environment.yml and constraints.txt must pin the same versions."""
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def pins(lines):
    out = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{line!r} is not pinned with =="
        out[canonicalize_name(req.name)] = specs[0].version  # jupyterlab_myst is jupyterlab-myst
    return out


def pyproject_pins(root):
    return pins(tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"])


def test_environment_yml_matches_pyproject(repo_root):
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == "python=3.11"
    assert pins(pip_section) == pyproject_pins(repo_root)


def test_constraints_agree_with_pyproject(repo_root):
    lines = [l for l in (repo_root / "constraints.txt").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    locked = pins(lines)
    for name, version in pyproject_pins(repo_root).items():
        assert locked.get(name) == version, f"constraints.txt pins {name}=={locked.get(name)}, pyproject {version}"
