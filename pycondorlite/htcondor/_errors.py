"""htcondor2's exception, and version 1's finer names beside it (each also the
built-in exception its name suggests, as in the htcondor module)."""


class HTCondorException(Exception):
    """An HTCondor operation failed."""


class HTCondorIOError(HTCondorException, OSError):
    pass


class HTCondorValueError(HTCondorException, ValueError):
    pass


class HTCondorTypeError(HTCondorException, TypeError):
    pass


class HTCondorEnumError(HTCondorException, ValueError):
    pass


class HTCondorLocateError(HTCondorException, OSError):
    pass


class HTCondorReplyError(HTCondorException, RuntimeError):
    pass


class HTCondorInternalError(HTCondorException, RuntimeError):
    pass
