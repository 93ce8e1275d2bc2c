"""Caches bounded by an estimate of the memory they hold (the ClassAd layer's
caches of parsed texts, and the few memos of the layers above: a leaf module,
so that importing it loads nothing).

Texts seen before (lines of old-syntax ads, expressions, template keys) are
looked up whole, so that the ten-thousandth provider ad costs little. What
an entry holds is estimated from its text (a parse tree holds some tens of
bytes for each character of its text); a cache past its budget forgets
everything and starts again, or (keep_first) keeps what it learnt first --
the lines every ad shares are learnt first.

A cache of texts that mostly come once (a provider's name, its keys) learns
an entry only the second time it meets the text (second_chance: the first
time only its hash is noted): what comes once is not kept, so the cache stays
small and the heap the garbage collector walks too.
"""

import sys
from itertools import islice

ENTRY = 100             # a dict entry: its share of the hash table, the key's hash
TREE_PER_CHAR = 24      # what a parse tree holds for each character of its text
MIB = 1 << 20


def text_size(text):
    return sys.getsizeof(text)


def tree_size(text):
    """An estimate of an entry text -> parse tree of text (the text itself:
    some 50 bytes and one a character)."""
    return ENTRY + 50 + (TREE_PER_CHAR + 1) * len(text)


class Cache(dict):
    """A dict that counts the bytes its entries hold (estimates given by
    the caller); past its budget it forgets all (or, keep_first, learns no
    more). Reading it is reading a dict."""
    __slots__ = ("budget", "held", "keep_first", "once", "once_max")

    def __init__(self, budget, keep_first=False, second_chance=False):
        dict.__init__(self)
        self.budget = budget
        self.held = 0
        self.keep_first = keep_first
        self.once = set() if second_chance else None    # hashes of keys met once
        self.once_max = budget // 64                    # a hash in a set: some 60 bytes

    def _first_time(self, key):
        """Is this the first time key is met (noted if so)? Always False
        without second_chance."""
        once = self.once
        if once is None:
            return False
        h = hash(key)
        if h in once:
            return False
        if len(once) >= self.once_max:
            once.clear()
        once.add(h)
        return True

    def room(self, size):
        """Is there room for size bytes more (after forgetting, if that is the policy)?"""
        if self.held + size <= self.budget:
            return True
        if self.keep_first:
            return False
        self.clear()
        return size <= self.budget

    def learn(self, key, value, size):
        """Remember key -> value, which holds about size bytes; value."""
        # (_first_time and room inlined: this is on every parse's path)
        if key in self:
            return value
        once = self.once
        if once is not None:
            h = hash(key)
            if h not in once:
                if len(once) >= self.once_max:
                    once.clear()
                once.add(h)
                return value
        held = self.held + size
        if held > self.budget:
            if self.keep_first or size > self.budget:
                return value
            self.clear()
            held = size
        self[key] = value
        self.held = held
        return value

    def met_before(self, keys):
        """For each of keys (a list), was it met before? (Noted now: the next
        time it is.) At C speed; every key counts as met without second_chance."""
        once = self.once
        if once is None:
            return [True] * len(keys)
        hashes = list(map(hash, keys))
        met = list(map(once.__contains__, hashes))
        if len(once) + len(hashes) > self.once_max:
            once.clear()
        once.update(hashes)
        return met

    def learn_many(self, keys, values, size):
        """Remember keys[i] -> values[i] (lists), holding size bytes in all,
        as many as there is room for (the first ones), at C speed."""
        count = len(keys)
        if count <= 0:
            return
        pairs = zip(keys, values)
        if not self.room(size):
            # keep_first: the room left, shared evenly among the pairs
            fit = int(count * (self.budget - self.held) / size) if size else count
            if fit <= 0:
                return
            pairs, size = islice(pairs, fit), size * fit // count
        before = len(self)
        self.update(pairs)
        if len(self) > before:
            self.held += size

    def clear(self):
        dict.clear(self)
        self.held = 0
        if self.once is not None:
            self.once.clear()
