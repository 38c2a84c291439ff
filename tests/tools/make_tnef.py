#!/usr/bin/env python3
"""Writes a TNEF stream (winmail.dat) the way Outlook does for a rich-text message, following
Microsoft's [MS-OXTNEF]: signature, legacy key, then attributes (level, id, length, data,
checksum), the message attributes first, then one attRenddata-led group per attachment.

    make_tnef.py OUT.dat "body text" FILE...     each FILE is attached under its base name
"""
import os
import struct
import sys

SIGNATURE = 0x223E9F78
LVL_MESSAGE, LVL_ATTACHMENT = 1, 2
atpString, atpText, atpByte, atpWord, atpDword = 0x0001, 0x0002, 0x0006, 0x0007, 0x0008


def att(t, i):
    return (t << 16) | i


attTnefVersion = att(atpDword, 0x9006)
attOemCodepage = att(atpByte, 0x9007)
attMessageClass = att(atpWord, 0x8008)
attSubject = att(atpString, 0x8004)
attBody = att(atpText, 0x800C)
attAttachRenddata = att(atpByte, 0x9002)
attAttachTitle = att(atpString, 0x8010)
attAttachData = att(atpByte, 0x800F)


def attribute(level, ident, data):
    return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def tnef(body, files, subject="Cotización flotilla"):
    out = struct.pack("<IH", SIGNATURE, 0x1234)
    out += attribute(LVL_MESSAGE, attTnefVersion, struct.pack("<I", 0x00010000))
    out += attribute(LVL_MESSAGE, attOemCodepage, struct.pack("<II", 1252, 0))
    out += attribute(LVL_MESSAGE, attMessageClass, b"IPM.Microsoft Mail.Note\0")
    out += attribute(LVL_MESSAGE, attSubject, subject.encode("cp1252") + b"\0")
    out += attribute(LVL_MESSAGE, attBody, body.encode("cp1252") + b"\0")
    for name, data in files:
        # renddata: attachment type 1 (file), position -1, no rendering size, flags 0
        out += attribute(LVL_ATTACHMENT, attAttachRenddata, struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0))
        out += attribute(LVL_ATTACHMENT, attAttachTitle, name.encode("cp1252") + b"\0")
        out += attribute(LVL_ATTACHMENT, attAttachData, data)
    return out


if __name__ == "__main__":
    files = [(os.path.basename(p), open(p, "rb").read()) for p in sys.argv[3:]]
    open(sys.argv[1], "wb").write(tnef(sys.argv[2], files))
