"""The cluster/proc split of job ads."""

from pycondorlite.submit.description import SubmitDescription


def build(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "job.sh").write_text("#!/bin/sh\n")
    (cad, pads, spec), = SubmitDescription(text).jobs(cluster_id=7)
    return cad, pads


def test_no_per_proc_macro_gives_minimal_proc_ads(tmp_path, monkeypatch):
    cad, pads = build("executable = job.sh\narguments = a b\nqueue 1000\n", tmp_path, monkeypatch)
    assert cad["ClusterId"] == "7" and cad["Args"] == '"a b"'
    assert "ProcId" not in cad and "JobStatus" not in cad
    assert pads[0] == {"ProcId": "0", "JobStatus": "1"}
    assert pads[-1] == {"ProcId": "999", "JobStatus": "1"}


def test_per_proc_values_live_in_proc_ads_only(tmp_path, monkeypatch):
    cad, pads = build("executable = job.sh\noutput = o.$(Process)\nerror = e.log\n"
                      "arguments = $(Item) fixed\nqueue 2 in (x, y)\n", tmp_path, monkeypatch)
    assert "Out" not in cad and "Args" not in cad
    assert cad["Err"] == '"e.log"'          # same for every proc: stays in the cluster ad
    assert [p["Out"] for p in pads] == ['"o.0"', '"o.1"', '"o.2"', '"o.3"']
    assert [p["Args"] for p in pads] == ['"x fixed"'] * 2 + ['"y fixed"'] * 2
    assert set(pads[0]) == {"ProcId", "JobStatus", "Out", "Args"}


def test_macro_chain_to_process_is_per_proc(tmp_path, monkeypatch):
    cad, pads = build("executable = job.sh\nbase = run$(Process)\noutput = $(base).out\n"
                      "queue 3\n", tmp_path, monkeypatch)
    assert [p["Out"] for p in pads] == ['"run0.out"', '"run1.out"', '"run2.out"']


def test_hold_goes_to_proc_status(tmp_path, monkeypatch):
    cad, pads = build("executable = job.sh\nhold = true\nqueue 2\n", tmp_path, monkeypatch)
    assert [p["JobStatus"] for p in pads] == ["5", "5"]
    assert cad["HoldReasonCode"] == "15"


def test_grid_matchmaking_job_attributes(tmp_path, monkeypatch):
    cad, pads = build("universe = grid\nexecutable = x\ngrid_resource = deltacloud $$(url)\n"
                      "DeltacloudUsername = $$(u)\nDeltacloudPassword = $$(p)\n"
                      "DeltacloudImageId = $$(i)\n"
                      "requirements = TARGET.resource =!= undefined\nqueue\n",
                      tmp_path, monkeypatch)
    assert cad["GridResource"] == '"deltacloud $$(url)"'
    assert cad["Matched"] == "false" and cad["WantClaiming"] == "false"
    assert cad["Requirements"] == "(TARGET.resource =!= undefined)"


def test_submit_attrs_and_append_requirements_from_config(tmp_path, monkeypatch):
    from pycondorlite import config
    monkeypatch.setenv("_CONDOR_SUBMIT_ATTRS", "Site")
    monkeypatch.setenv("_CONDOR_Site", '"lab"')
    monkeypatch.setenv("_CONDOR_APPEND_REQUIREMENTS", "TARGET.Healthy")
    config.reload()
    cad, _ = build("universe = grid\nexecutable = x\ngrid_resource = deltacloud http://h/api\n"
                   "deltacloud_username = u\ndeltacloud_password = p\n"
                   "deltacloud_image_id = i\nrequirements = image == \"f13\"\nqueue\n",
                   tmp_path, monkeypatch)
    assert cad["Site"] == '"lab"'
    # HTCondor's SetRequirements: "(<requirements>) && (<APPEND_REQUIREMENTS>)"
    assert cad["Requirements"] == '(image == "f13") && (TARGET.Healthy)'
