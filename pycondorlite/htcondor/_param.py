"""htcondor2.param: the configuration as a mutable mapping.

Reading goes through pycondorlite.config (CONDOR_CONFIG, then _CONDOR_<KNOB>
environment variables, names case-insensitive); a value set here lives in
this process only, as in htcondor2, and reload_config() forgets it.
"""

from collections.abc import MutableMapping

from pycondorlite import config


class _Param(MutableMapping):
    def _cfg(self):
        return config.get_config()

    def __getitem__(self, key):
        if not isinstance(key, str):
            raise TypeError("key must be a string")
        v = self._cfg().param(key)
        if v is None:
            raise KeyError(key)
        return v

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError("key must be a string")
        if not isinstance(value, str):
            raise TypeError("value must be a string")
        self._cfg().macros.set(key, value)

    def __delitem__(self, key):
        if not isinstance(key, str):
            raise TypeError("key must be a string")
        macros = self._cfg().macros
        if key.lower() not in macros.table:
            raise KeyError(key)
        del macros.table[key.lower()]

    def _names(self):
        macros = self._cfg().macros
        names = {k.lower(): k.upper() for k in macros.defaults}
        names.update({k.lower(): k for k in macros.keys()})
        return list(names.values())

    def __iter__(self):
        return iter(self._names())

    def __len__(self):
        return len(self._names())


param = _Param()


def reload_config(root_config_file=None):
    """Read the configuration again (values set through `param` are lost);
    root_config_file names another configuration file to read."""
    if root_config_file is not None:
        import os
        os.environ["CONDOR_CONFIG"] = root_config_file
    config.reload()
