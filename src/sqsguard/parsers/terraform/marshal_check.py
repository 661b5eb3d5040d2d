"""Whether bytes are marshal data of plain values only, checked before `marshal.loads` sees them.

`marshal.loads` trusts the lengths it reads: five bytes declaring a list of two billion items make
it allocate the list and then spend minutes releasing it. And marshal can hold code objects. So an
entry of the cache directory (which may be restored from CI storage) is read only after this walk
of its bytes has found nothing but None, booleans, integers, floats, strings, tuples, lists,
dicts, sets and back-references, each length within the bytes that remain.
"""

from __future__ import annotations

MAX_DEPTH = 200

# What each type byte (without the reference flag, 0x80) is followed by.
_BAD, _FIXED0, _FIXED4, _FIXED8, _REF, _SIZED, _LONG, _SHORT, _SEQUENCE, _SMALL_TUPLE, _DICT, _NULL = range(12)
_KINDS = [_BAD] * 256
for _codes, _kind in (("NFT", _FIXED0), ("i", _FIXED4), ("g", _FIXED8), ("r", _REF), ("stuaA", _SIZED), ("l", _LONG),
                      ("zZ", _SHORT), ("([<>", _SEQUENCE), (")", _SMALL_TUPLE), ("{", _DICT), ("0", _NULL)):
    for _code in _codes:
        _KINDS[ord(_code)] = _kind
        if _kind not in (_REF, _NULL):
            _KINDS[ord(_code) | 0x80] = _kind  # the same, kept for back-references


def plain_marshal(data: bytes) -> bool:
    end = len(data)
    at = 0
    refs = 0
    kinds = _KINDS
    from_bytes = int.from_bytes
    # what each open container still expects: a count of items, or -1 for a dict (until NULL)
    pending: list[int] = [1]
    while pending:
        left = pending[-1]
        if left == 0:
            pending.pop()
            continue
        if at >= end:
            return False
        code = data[at]
        kind = kinds[code]
        at += 1
        if left == -1:
            if kind == _NULL:
                pending.pop()
                continue
        else:
            pending[-1] = left - 1
        if code & 0x80:
            refs += 1
        if kind == _SHORT:
            if at >= end:
                return False
            at += 1 + data[at]
        elif kind == _FIXED0:
            pass
        elif kind == _REF:
            if from_bytes(data[at:at + 4], "little") >= refs:
                return False
            at += 4
        elif kind == _FIXED4:
            at += 4
        elif kind == _FIXED8:
            at += 8
        elif kind == _SIZED or kind == _LONG:
            size = from_bytes(data[at:at + 4], "little", signed=True)
            if size < 0:
                return False
            at += 4 + (size * 2 if kind == _LONG else size)
        elif kind == _SEQUENCE or kind == _SMALL_TUPLE or kind == _DICT:
            if len(pending) > MAX_DEPTH:
                return False
            if kind == _DICT:
                pending.append(-1)
                continue
            if kind == _SMALL_TUPLE:
                if at >= end:
                    return False
                count = data[at]
                at += 1
            else:
                count = from_bytes(data[at:at + 4], "little", signed=True)
                at += 4
            if count < 0 or count > end - at:  # every item takes a byte at least
                return False
            pending.append(count)
        else:
            return False  # code, complex numbers, anything else
        if at > end:
            return False
    return at == end
