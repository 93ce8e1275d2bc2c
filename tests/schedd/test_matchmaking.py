"""The reference example end to end through the collector and the negotiator."""

from pycondorlite.analyze import better_analyze
from pycondorlite.collector import Collector
from pycondorlite.dollardollar import expand_job_ad
from pycondorlite.negotiator import Negotiator


def test_example_ad_and_submit_as_written(spool, condor_env, h):
    p = h.run("condor_advertise", "UPDATE_STARTD_AD", h.EXAMPLE_AD, check=True)
    assert p.stdout.startswith("Sent 1 of 1 ad to ")
    other = h.provider_ad("provider_combination_2", "ami-other").replace('"fedora13"', '"rhel6"')
    h.advertise(other)
    h.run("condor_submit", h.EXAMPLE_SUB, check=True)
    res = Negotiator(spool).negotiate()
    assert [m[2] for m in res.matches] == ["provider_combination_1"]
    job = spool.job_ad(1, 0)
    assert job["MATCH_EXP_GridResource"] == '"deltacloud http://localhost:3002/api"'
    assert job["MATCH_EXP_DeltacloudUsername"] == '"ec2_username"'
    assert job["MATCH_EXP_DeltacloudImageId"] == '"ami-ac3fc9c5"'
    assert job["MATCH_EXP_DeltacloudHardwareProfile"] == '"m1.large"'
    assert job["MATCH_EXP_DeltacloudKeyname"] == '"mykeypair"'
    assert job["MATCH_provider_url"] == '"http://localhost:3002/api"'
    # the raw $$ text stays; the bookkeeping HTCondor writes is there
    assert job["GridResource"] == '"deltacloud $$(provider_url)"'
    assert job["Matched"].lower() == "true"
    assert job["CurrentHosts"] == "1"
    assert job["NumJobMatches"] == "1"
    assert int(job["LastMatchTime"]) > 0
    assert job["JobStatus"] == "1"
    full = expand_job_ad(job)
    assert full["GridResource"] == '"deltacloud http://localhost:3002/api"'
    assert full["DeltacloudPassword"] == '"ec2_secret_access_key"'
    # matched once: the next cycle has nothing to do
    assert Negotiator(spool).negotiate().matches == []


def test_two_amis_rank_picks_the_better(spool, condor_env, h):
    h.advertise(h.provider_ad("ami_a", "ami-aaaa", "cost = 10\n") + "\n"
              + h.provider_ad("ami_b", "ami-bbbb", "cost = 3\n"))
    sub = h.EXAMPLE_SUB.read_text().replace("queue", "rank = -TARGET.cost\nqueue 2")
    h.submit_file(condor_env / "j.sub", sub)
    res = Negotiator(spool).negotiate()
    # ami_b ranks better; without WantAdRevaluate an ad serves one job a cycle
    assert res.matches[0][2] == "ami_b"
    assert spool.job_ad(1, 0)["MATCH_EXP_DeltacloudImageId"] == '"ami-bbbb"'
    assert [m[2] for m in res.matches] == ["ami_b", "ami_a"]


def test_equal_rank_is_shared_round_robin(spool, condor_env, h):
    h.advertise(h.provider_ad("p1", "ami-1", "WantAdRevaluate = true\n") + "\n"
              + h.provider_ad("p2", "ami-2", "WantAdRevaluate = true\n"))
    h.submit_ads(spool, count=6)
    res = Negotiator(spool).negotiate()
    names = [m[2] for m in res.matches]
    assert sorted(names) == ["p1"] * 3 + ["p2"] * 3
    assert names[0] != names[1]


def test_no_matching_ad_stays_idle_and_analysis_names_the_clause(spool, condor_env, h):
    h.advertise(h.provider_ad("small", "ami-1").replace('"large"', '"small"'))
    h.run("condor_submit", h.EXAMPLE_SUB, check=True)
    res = Negotiator(spool).negotiate()
    assert res.matches == [] and res.rejected == 1
    job = spool.job_ad(1, 0)
    assert job["JobStatus"] == "1" and job["Matched"].lower() == "false"
    assert job["LastRejMatchReason"] == '"no match found"'
    assert int(job["LastRejMatchTime"]) > 0
    text = better_analyze(spool, spool.job(1, 0))
    assert "[0]           0  hardwareprofile == \"large\"" in text
    assert "[1]           1  image == \"fedora13\"" in text
    assert "1 slots are rejected by your job's requirements" in text
    assert "small: rejected by your job's requirements: hardwareprofile == \"large\"" in text
    assert "Reason for last match failure: no match found" in text
    assert "No machines matched the jobs's constraints" in text


def test_ad_requirements_are_symmetric(spool, condor_env, h):
    h.advertise(h.provider_ad("picky", "ami-1").replace("Requirements=true",
                                                     'Requirements=TARGET.Owner == "nobody"'))
    h.submit_ads(spool)
    res = Negotiator(spool).negotiate()
    assert res.matches == []
    text = better_analyze(spool, spool.job(1, 0))
    assert "1 slots reject your job because of their own requirements" in text
    assert 'picky: rejects your job because of its own requirements: TARGET.Owner == "nobody"' \
        in text


def test_want_ad_revaluate_and_cur_matches(spool, condor_env, h):
    h.advertise(h.provider_ad("multi", "ami-1", "WantAdRevaluate = True\nUpdateSequenceNumber = 1\n")
              .replace("Requirements=true", "Requirements=CurMatches =?= undefined || "
                                            "CurMatches < 3"))
    h.submit_ads(spool, count=5)
    res = Negotiator(spool).negotiate()
    assert len(res.matches) == 3
    ad = Collector(spool).ads()[0]
    assert ad.cur_matches == 3
    # kept across cycles while the sequence number is unchanged
    assert Negotiator(spool).negotiate().matches == []
    # a newer advertisement resets the count (STARTD_AD_REEVAL_EXPR's default)
    h.advertise(h.provider_ad("multi", "ami-1", "WantAdRevaluate = True\nUpdateSequenceNumber = 2\n")
              .replace("Requirements=true", "Requirements=CurMatches =?= undefined || "
                                            "CurMatches < 3"))
    assert len(Negotiator(spool).negotiate().matches) == 2


def test_without_want_ad_revaluate_one_match_per_cycle(spool, condor_env, h):
    h.advertise(h.provider_ad("single", "ami-1"))
    h.submit_ads(spool, count=3)
    neg = Negotiator(spool)
    assert [len(neg.negotiate().matches) for _ in range(4)] == [1, 1, 1, 0]


def test_failed_expansion_holds_the_job(spool, condor_env, h):
    h.advertise(h.provider_ad("p", "ami-1"))
    h.submit_ads(spool, {"DeltacloudKeyname": '"$$(no_such_attr)"'})
    res = Negotiator(spool).negotiate()
    assert res.matches == [] and len(res.held) == 1
    job = spool.job_ad(1, 0)
    assert job["JobStatus"] == "5"
    assert job["HoldReason"] == '"Cannot expand $$ expression (no_such_attr)."'
    assert job["Matched"].lower() == "false"


def test_dollar_forms(spool, condor_env, h):
    h.advertise(h.provider_ad("p", "ami-1", "Memory = 2048\n"))
    h.submit_ads(spool, {"DeltacloudUserData": '"$$(missing:fallback) $$([TARGET.Memory * 2]) '
                                              '$$(DOLLARDOLLAR)"',
                       "DeltacloudRealmId": '"$$(realm_key)"'})
    assert len(Negotiator(spool).negotiate().matches) == 1
    job = spool.job_ad(1, 0)
    assert job["MATCH_EXP_DeltacloudUserData"] == '"fallback 4096 $$"'
    assert job["MATCH_EXP_DeltacloudRealmId"] == '"us-east-1a"'
    assert "MATCH_missing" not in job


def test_autoclusters_group_identical_jobs(spool, condor_env, h):
    h.advertise(h.provider_ad("p", "ami-1", "WantAdRevaluate = true\n"))
    h.submit_ads(spool, count=50)
    h.submit_ads(spool, {"Requirements": 'image == "fedora13"'}, count=50)
    res = Negotiator(spool).negotiate()
    assert res.autoclusters == 2
    assert res.evaluations == 2
    assert len(res.matches) == 100


def test_expired_ads_stop_matching(spool, condor_env, h):
    h.advertise(h.provider_ad("short", "ami-1", "ClassAdLifetime = 1\n"))
    h.submit_ads(spool)
    import time
    assert Negotiator(spool).negotiate(now=int(time.time()) + 5).matches == []
    assert len(Negotiator(spool).negotiate().matches) == 1


def test_removed_job_is_not_matched(spool, condor_env, h):
    h.advertise(h.provider_ad("p", "ami-1"))
    cid = h.submit_ads(spool)
    neg = Negotiator(spool)
    jobs = neg.idle_jobs()
    spool.update({(cid, 0): {"JobStatus": "3"}})     # condor_rm wins the race
    res = neg.negotiate(jobs=jobs)
    assert res.matches == []
    assert spool.job_ad(cid, 0)["Matched"].lower() == "false"


def test_matched_secrets_never_print(spool, condor_env, h):
    h.advertise(h.EXAMPLE_AD.read_text())
    h.run("condor_submit", h.EXAMPLE_SUB, check=True)
    assert len(Negotiator(spool).negotiate().matches) == 1
    assert spool.job_ad(1, 0)["MATCH_EXP_DeltacloudPassword"] == '"ec2_secret_access_key"'
    for args in (["-long"], ["-json"], ["-af", "MATCH_password", "MATCH_EXP_DeltacloudPassword"],
                 ["-better-analyze", "1.0"]):
        out = h.run("condor_q", *args, check=True).stdout
        assert "ec2_secret_access_key" not in out, args
    assert "MATCH_EXP_DeltacloudKeyname" in h.run("condor_q", "-long", check=True).stdout


def test_proc_level_attributes_are_expanded_per_job(spool, condor_env, h):
    h.advertise(h.provider_ad("p", "ami-1", "WantAdRevaluate = true\nzone = \"z9\"\n"))
    h.submit_ads(spool, procs=[{}, {"DeltacloudKeyname": '"fixed"'},
                               {"DeltacloudRealmId": '"$$(zone)"'}])
    assert len(Negotiator(spool).negotiate().matches) == 3
    j0, j1, j2 = (spool.job_ad(1, p) for p in range(3))
    assert j0["MATCH_EXP_DeltacloudKeyname"] == '"mykeypair"'
    assert "MATCH_EXP_DeltacloudKeyname" not in j1
    assert j1["MATCH_EXP_DeltacloudImageId"] == '"ami-1"'
    assert j2["MATCH_EXP_DeltacloudRealmId"] == '"z9"' and "MATCH_EXP_DeltacloudRealmId" not in j0
