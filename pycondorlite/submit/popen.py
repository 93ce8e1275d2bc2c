"""Commands a submit or configuration file runs (`include command : cmd |`,
`queue ... from cmd |`), as HTCondor's my_popen runs them: no shell, the words
of the command line (old-syntax raw, or new-syntax when quoted) its argv."""

import subprocess

from pycondorlite.submit.arglist import ArgError, is_v2_quoted, split_v2, v2_quoted_to_raw


class CommandError(Exception):
    """The command could not be run (HTCondor's wording)."""


def argv_of(cmd):
    """AppendArgsV1RawOrV2Quoted: a quoted command line is new syntax, else words."""
    if is_v2_quoted(cmd):
        try:
            return split_v2(v2_quoted_to_raw(cmd, "command"))
        except ArgError as e:
            raise CommandError(f"Can't append args, {e}") from None
    return cmd.split()


def output_of(cmd, timeout=300):
    """(stdout text, exit code) of a command line."""
    argv = argv_of(cmd)
    if not argv:
        raise CommandError("not a valid command, | must be at the end")
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, errors="surrogateescape")
    except subprocess.TimeoutExpired:
        raise CommandError(f"not a valid command, timed out after {timeout} s") from None
    except (OSError, ValueError) as e:
        errno = getattr(e, "errno", None) or 0
        why = getattr(e, "strerror", None) or str(e)
        raise CommandError(f"not a valid command, errno={errno} : {why}") from None
    return done.stdout, done.returncode
