"""Who is asking, and who may act on whose jobs.

Only a job's owner, or a queue super user (root and QUEUE_SUPER_USERS), may
remove, hold, release or edit it, as in HTCondor's schedd.
"""

import os
import pwd
import re
import socket

from pycondorlite.config import param


def current_user():
    """The login name of the effective user."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def uid_domain():
    """UID_DOMAIN, HTCondor's default being the full host name."""
    return param("UID_DOMAIN") or socket.getfqdn()


def super_users():
    """QUEUE_SUPER_USERS as a set of names (HTCondor's default: root, condor)."""
    value = param("QUEUE_SUPER_USERS")
    if value is None:
        value = "root, condor"
    names = {n for n in re.split(r"[\s,]+", value) if n}
    # user@domain entries grant the bare user too
    return names | {n.split("@", 1)[0] for n in names}


def is_super_user(user):
    """Queue super users are those QUEUE_SUPER_USERS names (root unless configured away)."""
    return user in super_users()


def may_modify(user, owner):
    """May `user` change a job owned by `owner`?"""
    return user == owner or is_super_user(user)
