"""Run as a script: real libclassad's matchmaking decisions, old (tool) semantics.

Reads JSON {"jobs": [{Name: text}], "ads": [{Name: text}]} on stdin and
prints, for each job, [[ad index, rank]] for every ad that symmetrically
matches. htcondor2 is imported first, which switches classad2 to the old
semantics the command-line tools (and the negotiator) use.
"""

import json
import os
import sys

os.environ.setdefault("CONDOR_CONFIG", "/dev/null")
import warnings
warnings.simplefilter("ignore")
import htcondor2  # noqa: F401  (switches classad2 to old semantics)
import classad2


def ad_of(d):
    return classad2.parseOne("\n".join(f"{k} = {v}" for k, v in d.items()),
                             classad2.ParserType.Old)


def rank_of(job, ad):
    if "Rank" not in job:
        return 0.0
    v = job.lookup("Rank").eval(job, ad)
    if v is True:
        return 1.0
    if type(v) in (int, float):
        return float(v)
    return 0.0


def main():
    data = json.load(sys.stdin)
    ads = [ad_of(a) for a in data["ads"]]
    out = []
    for j in data["jobs"]:
        job = ad_of(j)
        row = []
        for i, ad in enumerate(ads):
            if job.symmetricMatch(ad):
                row.append([i, rank_of(job, ad)])
        out.append(row)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
