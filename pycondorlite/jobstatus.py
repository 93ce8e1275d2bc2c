"""Job states and universes: HTCondor's numbers, letters and names."""

IDLE = 1
RUNNING = 2
REMOVED = 3
COMPLETED = 4
HELD = 5
TRANSFERRING_OUTPUT = 6
SUSPENDED = 7
JOB_STATUS_FAILED = 8
JOB_STATUS_BLOCKED = 9

# encode_status() in HTCondor's proc.cpp
LETTERS = {0: "U", 1: "I", 2: "R", 3: "X", 4: "C", 5: "H", 6: ">", 7: "S", 8: "F", 9: "B", 10: "P"}
NAMES = {0: "Unexpanded", 1: "Idle", 2: "Running", 3: "Removed", 4: "Completed", 5: "Held",
         6: "Transferring Output", 7: "Suspended", 8: "Failed", 9: "Blocked"}

UNIVERSE_VANILLA = 5
UNIVERSE_SCHEDULER = 7
UNIVERSE_GRID = 9
UNIVERSE_LOCAL = 12
UNIVERSES = {1: "Standard", 2: "Pipe", 3: "Linda", 4: "PVM", 5: "Vanilla", 6: "PVMD",
             7: "Scheduler", 8: "MPI", 9: "Grid", 10: "Java", 11: "Parallel", 12: "Local",
             13: "VM"}

# HoldReasonCode values (condor_holdcodes.h) this project uses
HOLD_UNSPECIFIED = 0
HOLD_USER_REQUEST = 1
HOLD_JOB_POLICY = 3


def letter(status):
    return LETTERS.get(status, "?")
