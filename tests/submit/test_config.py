"""condor_config: files read with the submit reader, _CONDOR_ overrides, defaults."""

import os

import pytest

from pycondorlite import config
from pycondorlite.cli import condor_config_val


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    def use(text):
        p = tmp_path / "condor_config"
        p.write_text(text)
        monkeypatch.setenv("CONDOR_CONFIG", str(p))
        config.reload()
        return p
    yield use
    config.reload()


def test_no_config_gives_htcondor_defaults(monkeypatch):
    monkeypatch.setenv("CONDOR_CONFIG", "/dev/null")
    for k in list(os.environ):
        if k.lower().startswith("_condor_"):
            monkeypatch.delenv(k)
    config.reload()
    assert config.param("NEGOTIATOR_INTERVAL") == "60"
    assert config.param_int("negotiator_interval", 0) == 60
    assert config.param("SPOOL") == config.param("LOCAL_DIR")
    assert config.param("LOG") == config.param("LOCAL_DIR") + "/log"
    assert config.param_bool("STRICT_CLASSAD_EVALUATION", True) is False
    assert config.param("QUEUE_SUPER_USERS") == "root, condor"
    assert config.param("SCHEDD_NAME") == config.param("FULL_HOSTNAME")
    assert config.param("NO_SUCH_KNOB") is None
    assert config.param("NO_SUCH_KNOB", "dflt") == "dflt"


def test_local_dir_is_the_checkout_spool_when_run_from_a_checkout():
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.isfile(os.path.join(here, "spool", "README.md")):
        assert config.default_local_dir() == os.path.join(here, "spool")


def test_local_dir_outside_a_checkout_is_per_user_state(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "_PACKAGE_PARENT", str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert config.default_local_dir() == str(tmp_path / "state" / "pycondorlite")
    monkeypatch.delenv("XDG_STATE_HOME")
    assert config.default_local_dir() == os.path.expanduser("~/.local/state/pycondorlite")


def test_config_file_macros_if_include_and_continuation(cfg, tmp_path):
    (tmp_path / "extra.config").write_text("EXTRA = from include\n")
    cfg(f"""# site config
LOCAL_DIR = {tmp_path}/state
Pool = blue
POOL = $(pool) green
if defined POOL
  COLOR = yes
else
  COLOR = no
endif
if version >= 8.0
  NEW = 1
endif
include : {tmp_path}/extra.config
LONG = a \\
   b
NEGOTIATOR_INTERVAL = 20
""")
    assert config.param("SPOOL") == f"{tmp_path}/state"
    assert config.param("pool") == "blue green"
    assert config.param("COLOR") == "yes"
    assert config.param("NEW") == "1"
    assert config.param("EXTRA") == "from include"
    assert config.param("LONG") == "a b"
    assert config.param_int("NEGOTIATOR_INTERVAL", 0) == 20


def test_environment_overrides_everything(cfg, monkeypatch):
    cfg("SPOOL = /from/file\nGREETING = hello $(SPOOL)\n")
    monkeypatch.setenv("_CONDOR_SPOOL", "/from/env")
    assert config.param("spool") == "/from/env"
    assert config.param("GREETING") == "hello /from/env"
    monkeypatch.setenv("_condor_NEGOTIATOR_INTERVAL", "5")
    assert config.param_int("NEGOTIATOR_INTERVAL", 0) == 5


def test_param_bool_and_int_fallbacks(cfg):
    # HTCondor's string_is_boolean_param: true/false/1/0, else a ClassAd
    # expression; "no" and "maybe" are neither, so the default holds.
    cfg("B1 = True\nB2 = no\nB3 = maybe\nB4 = FALSE \nB5 = 2 > 1\nB6 = 0\nI1 = 12\nI2 = twelve\n")
    assert config.param_bool("B1", False) is True
    assert config.param_bool("B2", True) is True
    assert config.param_bool("B2", False) is False
    assert config.param_bool("B3", True) is True
    assert config.param_bool("B4", True) is False
    assert config.param_bool("B5", False) is True
    assert config.param_bool("B6", True) is False
    assert config.param_int("I1", 0) == 12
    assert config.param_int("I2", 7) == 7


def test_condor_config_val(cfg, capsys):
    cfg("FOO = bar\nBAZ = $(FOO)!\n")
    assert condor_config_val.main(["FOO", "baz"]) == 0
    assert capsys.readouterr().out == "bar\nbar!\n"
    assert condor_config_val.main(["NOPE"]) == 1
    assert capsys.readouterr().err == "Not defined: NOPE\n"


def test_bad_config_file_is_reported_with_its_line(cfg, capsys):
    p = cfg("FOO = bar\nelse\n")
    assert condor_config_val.main(["FOO"]) == 1
    assert capsys.readouterr().err == f"ERROR: on Line 2 of {p}: else without matching if\n"
