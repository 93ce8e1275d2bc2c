"""Every script in bin/ is declared in setup.cfg and installed on PATH."""

import configparser
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def declared_scripts():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return sorted(line.strip() for line in cfg["options"]["scripts"].splitlines() if line.strip())


def test_every_bin_script_is_declared():
    on_disk = sorted(f"bin/{p.name}" for p in (ROOT / "bin").iterdir() if p.is_file())
    assert on_disk == declared_scripts()


def test_every_bin_script_is_executable_and_on_path():
    for script in declared_scripts():
        path = ROOT / script
        assert os.access(path, os.X_OK), script
        assert shutil.which(path.name), f"{path.name} is not on PATH"
