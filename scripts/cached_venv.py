"""Finding a Python with venv and keeping a virtual environment cached outside the clone.

Shared by scripts/netbox-real (a NetBox release's venv) and scripts/client-venv (the newest
pynetbox and proxmoxer from PyPI). A venv is marked by the SHA-256 of what it was built from
(its pinned requirements, plus whatever else the caller puts in `identity`): it is rebuilt when
that changes or the venv is missing, and left alone otherwise.
"""

import glob
import hashlib
import os
import shutil
import subprocess
from pathlib import Path


class VenvError(Exception):
    """The venv could not be built; the message carries pip's last output."""


def cache_home():
    """${XDG_CACHE_HOME:-~/.cache}/proxbox: every cached environment of this project."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "proxbox"


def interpreter_version(executable):
    """(major, minor) of a Python that can build a venv with pip (venv, ensurepip, ssl), else None.
    Debian's python3 without python3-venv has no ensurepip, and pyenv shims of versions that are
    not selected exit non-zero: both count as unusable."""
    try:
        probe = subprocess.run(
            [executable, "-c", "import sys, venv, ensurepip, ssl; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    major, minor = probe.stdout.strip().split(".")
    return int(major), int(minor)


def candidate_interpreters(minor_versions):
    """Every python3.X this machine has: on PATH, pyenv's versions (their shims only work for the
    selected version), and the usual prefixes."""
    seen = []
    for major, minor in minor_versions:
        name = f"python{major}.{minor}"
        found = [shutil.which(name)]
        pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
        found += sorted(glob.glob(str(pyenv_root / "versions" / f"{major}.{minor}.*" / "bin" / name)),
                        reverse=True)
        found += [f"/usr/local/bin/{name}", f"/usr/bin/{name}"]
        for path in found:
            if path and os.access(path, os.X_OK) and path not in seen:
                seen.append(path)
    return seen


def newest_interpreter(low, high):
    """The newest working Python in [low, high] as (path, (major, minor)), or None."""
    minors = [(3, m) for m in range(high[1], low[1] - 1, -1)]
    for executable in candidate_interpreters(minors):
        version = interpreter_version(executable)
        if version is not None and low <= version <= high:
            return executable, version
    return None


def ensure_venv(venv, python, requirements, pinned_file, log, identity="", pip_options=()):
    """Creates `venv` with `python` and installs `requirements` (text of a requirements file,
    written to `pinned_file` for pip and for people), unless the venv's marker says it was built
    from the same input. Returns True when it (re)built. Callers hold a lock around this."""
    venv = Path(venv)
    digest = hashlib.sha256((identity + requirements).encode()).hexdigest()
    marker = venv / ".requirements.sha256"
    if marker.exists() and marker.read_text().strip() == digest and (venv / "bin" / "python").exists():
        return False
    log(f"creating {venv} with {python} and installing pinned requirements from PyPI")
    shutil.rmtree(venv, ignore_errors=True)
    created = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True)
    if created.returncode != 0:
        raise VenvError(f"{python} -m venv {venv} failed: {created.stderr.strip()}")
    Path(pinned_file).write_text(requirements)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input",
           "--disable-pip-version-check", "--quiet", *pip_options]
    result = subprocess.run(pip + ["-r", str(pinned_file)], capture_output=True, text=True)
    if result.returncode != 0:
        # No marker: the next call tries again instead of trusting a half-installed venv.
        raise VenvError(f"pip install -r {pinned_file} failed:\n{result.stdout[-3000:]}"
                        f"{result.stderr[-3000:]}")
    marker.write_text(digest + "\n")
    return True
