"""htcondor2.Collector over pycondorlite's collector (provider ads in the spool).

The pool has one schedd, the local one, and one collector, the spool's
provider-ad table; locate() answers with ads that name them, the schedd's
MyAddress being its sinful string (pycondorlite.address). Provider ads carry
cloud credentials: queries never return the secret attributes.
"""

import socket

from pycondorlite import classad
from pycondorlite import collector as coll
from pycondorlite.address import collector_name, schedd_address, schedd_name
from pycondorlite.htcondor._enums import AdType, DaemonType
from pycondorlite.htcondor._errors import HTCondorException, HTCondorLocateError
from pycondorlite.spool import Spool, SpoolError
from pycondorlite.version import platform_line, version_line

_FOR_LOCATION = ["MyAddress", "AddressV1", "CondorVersion", "CondorPlatform", "Name", "Machine"]
_MACHINE_TYPES = {AdType.Startd, AdType.Slot, AdType.Any, AdType.StartDaemon}
UPDATE = {"UPDATE_STARTD_AD", "UPDATE_STARTD_AD_WITH_ACK", "UPDATE_AD_GENERIC"}
INVALIDATE = {"INVALIDATE_STARTD_ADS", "INVALIDATE_ADS_GENERIC"}


def _open():
    try:
        return Spool.open()
    except SpoolError as e:
        raise HTCondorException(f"Unable to contact the collector: {e}") from None


def schedd_location_ad():
    """The local schedd's ad, as the collector would hold it."""
    with _open() as sp:
        counts = sp.count_by_status()
        path = sp.path
    ad = classad.ClassAd()
    ad["MyType"] = "Scheduler"
    ad["Name"] = schedd_name()
    ad["Machine"] = socket.getfqdn()
    ad["MyAddress"] = schedd_address(path)
    ad["CondorVersion"] = version_line()
    ad["CondorPlatform"] = platform_line()
    ad["TotalIdleJobs"] = counts.get(1, 0)
    ad["TotalRunningJobs"] = counts.get(2, 0)
    ad["TotalHeldJobs"] = counts.get(5, 0)
    ad["TotalRemovedJobs"] = counts.get(3, 0)
    return ad


def collector_location_ad():
    ad = classad.ClassAd()
    ad["MyType"] = "Collector"
    ad["Name"] = collector_name()
    ad["Machine"] = socket.getfqdn()
    ad["MyAddress"] = "<127.0.0.1:9618>"
    ad["CondorVersion"] = version_line()
    ad["CondorPlatform"] = platform_line()
    return ad


def _project(ad, projection):
    if not projection:
        return ad
    want = {p.lower() for p in projection}
    out = classad.ClassAd()
    for k in list(ad.keys()):
        if k.lower() in want:
            out[k] = ad[k]
    return out


def _matches(ad, tree):
    if tree is None:
        return True
    return coll._true(tree.eval(ad))


def _tree(constraint):
    if constraint is None or str(constraint).strip() == "" or constraint is True:
        return None
    try:
        return classad.ExprTree(str(constraint))
    except classad.ClassAdException as e:
        raise HTCondorException(f"Invalid constraint: {e}") from None


class Collector:
    """The collector client (htcondor2.Collector)."""

    def __init__(self, pool=None, security=None):
        if pool is not None and not isinstance(pool, (str, list, tuple, classad.ClassAd)):
            raise TypeError("pool is not a string, list (or tuple) of strings, or a ClassAd")
        self.pool = pool
        self.default = pool is None

    def query(self, ad_type=AdType.Any, constraint=None, projection=None, statistics=None):
        if not isinstance(ad_type, AdType):
            raise TypeError("ad_type must be an htcondor.AdType")
        tree = _tree(constraint)
        out = []
        if ad_type in _MACHINE_TYPES:
            with _open() as sp:
                ads = coll.Collector(sp).ads()
            for pad in ads:
                ad = pad.classad(private=False)
                if _matches(ad, tree):
                    out.append(_project(ad, projection))
        if ad_type in (AdType.Schedd, AdType.Any):
            ad = schedd_location_ad()
            if _matches(ad, tree):
                out.append(_project(ad, projection))
        if ad_type in (AdType.Collector, AdType.Any):
            ad = collector_location_ad()
            if _matches(ad, tree):
                out.append(_project(ad, projection))
        return out

    def locate(self, daemon_type, name=None):
        ads = self.locateAll(daemon_type)
        if name is not None:
            ads = [a for a in ads if str(a.get("Name", "")).lower() == name.lower()]
            if not ads:
                return None
        if not ads:
            raise HTCondorLocateError("Unable to locate local daemon.")
        return ads[0]

    def locateAll(self, daemon_type):
        if daemon_type == DaemonType.Schedd:
            return [_project(schedd_location_ad(), _FOR_LOCATION)]
        if daemon_type == DaemonType.Collector:
            return [_project(collector_location_ad(), _FOR_LOCATION)]
        if daemon_type == DaemonType.Startd:
            return self.query(AdType.Startd, projection=_FOR_LOCATION)
        return []

    def directQuery(self, daemon_type, name=None, projection=None, statistics=None):
        if daemon_type == DaemonType.Schedd:
            return _project(schedd_location_ad(), projection)
        if daemon_type == DaemonType.Collector:
            return _project(collector_location_ad(), projection)
        raise HTCondorLocateError("Unable to locate local daemon.")

    def advertise(self, ad_list, command="UPDATE_AD_GENERIC", use_tcp=True):
        """UPDATE_STARTD_AD stores provider ads; INVALIDATE_STARTD_ADS drops the
        ones each query ad selects (as condor_advertise does)."""
        if isinstance(ad_list, classad.ClassAd):
            ad_list = [ad_list]
        if not all(isinstance(a, classad.ClassAd) for a in ad_list):
            raise TypeError("ad_list must be a list of ClassAds")
        if command not in UPDATE | INVALIDATE:
            raise ValueError(f"Unknown or unsupported command {command}: this collector holds "
                             f"provider (startd) ads only")
        ads = []
        for ad in ad_list:
            try:
                lines = coll.read_ad_file(ad.printOld(), False)
                ads.append(coll.normalize_ad(lines[0]) if lines else {})
            except coll.CollectorError as e:
                raise HTCondorException(f"Invalid ad: {e.args[1]}") from None
        with _open() as sp:
            c = coll.Collector(sp)
            if command in UPDATE:
                for name, outcome in c.update(ads):
                    if outcome == "noname":
                        raise HTCondorException("Failed to advertise: neither Name nor Machine "
                                                "is set in the ad")
            else:
                for q in ads:
                    c.invalidate(q)
            sp.nudge_schedd()

