"""Macro expansion against real HTCondor's (htcondor.Submit(...).expand())."""

import pytest

MACROS = {
    "A": "x", "B": "$(A)y", "C": "$(NOPE:d$(A))", "D": "a$(UNDEF)b", "E": "$(DOLLAR)(A)",
    "F": "$$(A) $$([1+2]) $$(A:b)",
    "G": "$Fn(P) $Fx(P) $Fp(P) $Fnx(P) $Fd(P) $Fdb(P) $Fq(P)", "P": "/home/alice/dir/simulate.exe",
    "H": "$INT(V,%04d) $INT(EX) $REAL(V) $REAL(V,%.3f) $REAL(R)", "V": "7", "EX": "3*4+1",
    "R": "2.5",
    "I": "$CHOICE(1,x,y,z) $SUBSTR(S,2) $SUBSTR(S,0,-2) $SUBSTR(S,-1) $SUBSTR(S,1,3)",
    "S": "abcdef", "J": "$ENV(HOME) $ENV(PYCONDORLITE_NOPE_X:dd)", "K": "$(a$(A)b)",
    "axb": "nested", "L": "$BASENAME(P) $DIRNAME(P)", "M": "$Fpq(P) $Fdq(P)",
    "N": "$(P:x) $(Q:$(A))", "O": "$(B)$(B)", "U": "$Fu(W) $Fw(P)", "W": "a\\b\\c.txt",
    "X1": "$(ARCH) $(OPSYS) $(IsLinux)", "LATE": "$(later)", "later": "defined after use",
    "SELF": "one", "SELF ": "$(SELF) two",
}
TEXT = "executable = job.sh\n" + "".join(f"{k} = {v}\n" for k, v in MACROS.items()) + "queue\n"


@pytest.fixture(scope="module")
def both(sub):
    from pycondorlite.submit.description import SubmitDescription
    keys = sorted({k.strip() for k in MACROS})
    theirs = sub.run_oracle({"m": {"op": "expand", "text": TEXT, "keys": keys}})["m"]["expand"]
    return theirs, SubmitDescription(TEXT)


@pytest.mark.parametrize("name", sorted({k.strip() for k in MACROS}))
def test_expansion_matches_htcondor(both, name):
    theirs, mine = both
    raw = mine.macros.lookup(name)
    assert mine.macros.expand(raw).strip() == theirs[name]


def test_keys_are_case_insensitive_and_keep_first_spelling():
    from pycondorlite.submit.description import SubmitDescription
    d = SubmitDescription("Foo = 1\nFOO = 2\nexecutable = x\nqueue\n")
    assert d.macros.param("foo") == "2"
    assert d.macros.keys()[0] == "Foo"


def test_random_choice_is_drawn_per_proc(tmp_path, monkeypatch):
    from pycondorlite.submit.description import SubmitDescription
    monkeypatch.chdir(tmp_path)
    d = SubmitDescription("executable = /bin/true\narguments = $RANDOM_CHOICE(a,b,c,d,e,f,g,h)\n"
                          "queue 40\n")
    (cad, pads, _), = d.jobs(cluster_id=1)
    assert "Args" not in cad
    assert len({p["Args"] for p in pads}) > 1
