"""Deltacloud: the REST client the gridmanager uses, and the bundled simulator.

    from pycondorlite.deltacloud import Client, Simulator
"""

from .client import (Action, ActionNotAllowed, AuthError, Client, DeltacloudError, Instance,
                     NotFound, ProtocolError, RequestError, TransientError)
from .simulator import Faults, Simulator

__all__ = ["Action", "ActionNotAllowed", "AuthError", "Client", "DeltacloudError", "Faults",
           "Instance", "NotFound", "ProtocolError", "RequestError", "Simulator", "TransientError"]
