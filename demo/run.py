"""`make demo`: the project's main job, end to end, on the embedded defaults.

Each step prints the command it runs and that command's real output; nothing
is simulated in this script. Steps for parts not built yet are not run and
are listed as such.
"""

import subprocess
import sys


def run(cmd):
    print(f"$ {' '.join(cmd)}", flush=True)
    done = subprocess.run(cmd, text=True, capture_output=True)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        print(f"demo: '{cmd[0]}' exited with {done.returncode}", file=sys.stderr)
        sys.exit(done.returncode)


def main():
    run(["condor_version"])
    print("\nNot yet built, so not run: the Deltacloud simulator, the schedd, "
          "condor_advertise, condor_submit, condor_q and condor_rm.")


if __name__ == "__main__":
    main()
