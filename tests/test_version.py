import re
import subprocess

from pycondorlite.cli import condor_version


def test_version_lines_have_condor_shape(capsys):
    assert condor_version.main([]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert re.fullmatch(r"\$CondorVersion: \d+\.\d+\.\d+ \d{4}-\d\d-\d\d BuildID: \S+ PackageID: \S+ \$", out[0])
    assert re.fullmatch(r"\$CondorPlatform: \S+ \$", out[1])


def test_bad_option_is_an_error(capsys):
    assert condor_version.main(["-bogus"]) == 1
    assert "Usage" in capsys.readouterr().err


def test_installed_script_runs():
    # The script is on PATH once `pip install .` has run (make test does it).
    done = subprocess.run(["condor_version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert done.stdout.startswith("$CondorVersion: ")
