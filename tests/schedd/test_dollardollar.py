"""$$() expansion, as HTCondor's schedd does it (dollarDollarExpand)."""

import pytest

from pycondorlite.dollardollar import (DollarDollarError, expand_job_ad, expand_match,
                                       needs_expansion, tokens)

PROVIDER = {"provider_url": '"http://h/api"', "memory": "2048", "name": '"p1"',
            "quoted": '"say \\"hi\\""', "expr": "TARGET.x + 1"}


def test_plain_default_and_literal_forms():
    items = [("GridResource", '"deltacloud $$(provider_url)"'),
             ("Mem", '"$$(memory)"'), ("Size", "$$(memory) * 2"),
             ("Zone", '"$$(zone:us-east-1a)"'), ("Dollars", '"a$$(DOLLARDOLLAR)b"'),
             ("Cmd", '"job_name"')]
    out = expand_match(items, PROVIDER)
    assert out == {
        "MATCH_provider_url": '"http://h/api"', "MATCH_memory": "2048",
        "MATCH_EXP_GridResource": '"deltacloud http://h/api"', "MATCH_EXP_Mem": '"2048"',
        "MATCH_EXP_Size": "2048 * 2", "MATCH_EXP_Zone": '"us-east-1a"',
        "MATCH_EXP_Dollars": '"a$$b"'}


def test_names_are_case_insensitive_and_match_attrs_skipped():
    items = [("A", '"$$(PROVIDER_URL)"'), ("MATCH_EXP_A", '"$$(nope)"')]
    out = expand_match(items, PROVIDER)
    assert out == {"MATCH_PROVIDER_URL": '"http://h/api"', "MATCH_EXP_A": '"http://h/api"'}


def test_bracket_expressions_use_the_evaluator():
    seen = []

    def ev(text):
        seen.append(text)
        return "4096"
    out = expand_match([("M", '"$$([TARGET.memory * 2])"')], PROVIDER, ev)
    assert out == {"MATCH_EXP_M": '"4096"'}
    assert seen == ["TARGET.memory * 2"]
    with pytest.raises(DollarDollarError) as e:
        expand_match([("M", '"$$([TARGET.nope])"')], PROVIDER, lambda t: None)
    assert str(e.value) == "Cannot expand $$ expression ([TARGET.nope])."


@pytest.mark.parametrize("text,name", [
    ('"$$(missing)"', "missing"), ('"$$(TARGET.memory)"', "TARGET.memory"),
    ('"$$(unclosed"', "unclosed\""),
])
def test_failures_name_the_expression(text, name):
    with pytest.raises(DollarDollarError) as e:
        expand_match([("A", text)], PROVIDER)
    assert e.value.hold_reason == f"Cannot expand $$ expression ({name})."


def test_expand_job_ad_uses_saved_values():
    job = {"GridResource": '"deltacloud $$(provider_url)"', "DeltacloudKeyname": '"$$(keypair)"',
           "Other": '"$$(zone:z1)"', "Plain": "1",
           "MATCH_EXP_GridResource": '"deltacloud http://h/api"', "MATCH_keypair": '"kp"'}
    assert needs_expansion(job)
    out = expand_job_ad(job)
    assert out["GridResource"] == '"deltacloud http://h/api"'
    assert out["DeltacloudKeyname"] == '"kp"'
    assert out["Other"] == '"z1"'
    assert out["Plain"] == "1"
    with pytest.raises(DollarDollarError):
        expand_job_ad({"X": '"$$(unknown)"'})


def test_tokens():
    assert tokens('"$$(a) $$([strcat("x)", y)]) $$(b:c)"') == ["a", '[strcat("x)", y)]', "b:c"]
