import os

# The htcondor wheel (the oracle) warns on import when no condor_config exists;
# an empty configuration is what our own tools assume by default too.
os.environ.setdefault("CONDOR_CONFIG", "/dev/null")
