#!/usr/bin/env python3
"""A small IMAP server for the tests, written from RFC 3501, RFC 6855 (UTF8=ACCEPT) and RFC 9051,
plain TCP on 127.0.0.1 (loopback only). One user, mailboxes in memory, "/" as hierarchy
delimiter.

    imap_utf8_server.py STATE_DIR [--no-utf8] [--drop-once COMMAND] [--folder NAME]... [--message FILE]...

It writes its port to STATE_DIR/port, every command line it receives to STATE_DIR/commands.log
(raw bytes) and, after each command, the mailboxes to STATE_DIR/state.json
({name: [{"uid", "flags", "subject"}]}, names in UTF-8). The password is in $IMAP_TEST_PASS.

The rules it enforces (the client is refused with BAD otherwise):
  - 8-bit bytes are never allowed in an atom (RFC 3501 9: atoms are 7-bit);
  - UTF-8 in a quoted string only after `ENABLE UTF8=ACCEPT` (RFC 6855 3), which only a
    server offering UTF8=ACCEPT honours (`* ENABLED UTF8=ACCEPT`), and only before SELECT
    (RFC 5161: ENABLE belongs to the authenticated state);
  - before that, mailbox names are modified UTF-7 (RFC 3501 5.1.3), a malformed one is BAD;
    after it, names are UTF-8 taken literally, so "A&APE-o" is a folder named A&APE-o
    (RFC 6855 3), and LIST returns names in UTF-8 as literals (modified UTF-7 quoted strings
    otherwise).
With --no-utf8 it offers no UTF8=ACCEPT, as Dovecot 2.3 does not. With --drop-once "UID MOVE"
the first such command is not answered: the connection is closed instead (a server restart).
"""
import argparse
import base64
import json
import os
import re
import socketserver
import sys


def mutf7_encode(name):
    out, run = [], []

    def flush():
        if run:
            raw = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(wire):
    """The name a modified UTF-7 string stands for; ValueError when it is not well formed."""
    out, i = [], 0
    while i < len(wire):
        ch = wire[i]
        if not 0x20 <= ord(ch) <= 0x7E:
            raise ValueError("8-bit character in a modified UTF-7 name")
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        end = wire.find("-", i + 1)
        if end < 0:
            raise ValueError("unterminated base64 run")
        b = wire[i + 1:end]
        if not b:
            out.append("&")
        else:
            if not re.fullmatch(r"[A-Za-z0-9+,]+", b):
                raise ValueError("bad base64 in a modified UTF-7 name")
            raw = base64.b64decode(b.replace(",", "/") + "=" * (-len(b) % 4))
            if len(raw) % 2:
                raise ValueError("odd UTF-16 length")
            out.append(raw.decode("utf-16-be"))
        i = end + 1
    return "".join(out)


def subject(data):
    """The Subject header's raw text (RFC 6532: UTF-8 as it is), unfolded."""
    head = data.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    m = re.search(rb"(?im)^subject:[ \t]*(.*)$", head)
    return m.group(1).decode("utf-8", "replace").strip() if m else ""


class Bad(Exception):
    pass


def tokenize(line):
    """Arguments of a command line: atoms, quoted strings and parenthesised lists (flat, as
    strings with their parentheses). Returns [(kind, bytes)] with kind 'atom' or 'quoted'."""
    toks, i, n = [], 0, len(line)
    while i < n:
        c = line[i:i + 1]
        if c == b" ":
            i += 1
        elif c == b'"':
            i += 1
            buf = bytearray()
            while True:
                if i >= n:
                    raise Bad("unterminated quoted string")
                c = line[i:i + 1]
                if c == b"\\":
                    if i + 1 >= n or line[i + 1:i + 2] not in (b"\\", b'"'):
                        raise Bad("bad escape in a quoted string")
                    buf += line[i + 1:i + 2]
                    i += 2
                elif c == b'"':
                    i += 1
                    break
                elif c in (b"\r", b"\n", b"\0"):
                    raise Bad("CR, LF or NUL in a quoted string")
                else:
                    buf += c
                    i += 1
            toks.append(("quoted", bytes(buf)))
        elif c == b"{":
            raise Bad("literals are not taken by this server")
        else:
            j = i
            depth = 0
            while j < n and (line[j:j + 1] != b" " or depth > 0):
                if line[j:j + 1] == b"(":
                    depth += 1
                elif line[j:j + 1] == b")":
                    depth -= 1
                j += 1
            toks.append(("atom", line[i:j]))
            i = j
    return toks


def seq_set(spec, highest):
    """UIDs in a sequence set (1:3,7,9:*)."""
    out = []
    for part in spec.split(","):
        a, _, b = part.partition(":")
        lo = highest if a == "*" else int(a)
        hi = lo if not b else (highest if b == "*" else int(b))
        if lo > hi:
            lo, hi = hi, lo
        out.append((lo, hi))
    return lambda uid: any(lo <= uid <= hi for lo, hi in out)


class Store:
    def __init__(self, folders, messages):
        self.boxes = {"INBOX": {"validity": 4711, "next": 1, "msgs": []}}
        for f in folders:
            self.create(f)
        for m in messages:
            self.append("INBOX", m)

    def create(self, name):
        parts = name.split("/")
        for k in range(1, len(parts) + 1):
            self.boxes.setdefault("/".join(parts[:k]), {"validity": 5000 + len(self.boxes), "next": 1, "msgs": []})

    def append(self, box, data, flags=()):
        b = self.boxes[box]
        b["msgs"].append({"uid": b["next"], "flags": set(flags), "data": data})
        b["next"] += 1
        return b["next"] - 1

    def dump(self, path):
        out = {}
        for name, b in self.boxes.items():
            out[name] = [{"uid": m["uid"], "flags": sorted(m["flags"]),
                          "subject": subject(m["data"])}
                         for m in b["msgs"]]
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False)
        os.replace(tmp, path)


class Handler(socketserver.StreamRequestHandler):
    def send(self, text):
        self.wfile.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        self.wfile.flush()

    def handle(self):
        self.user = None
        self.utf8 = False
        self.selected = None
        srv = self.server
        self.send("* OK [CAPABILITY %s] test IMAP server ready\r\n" % self.caps())
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            with open(os.path.join(srv.state, "commands.log"), "ab") as log:
                log.write(line if line.endswith(b"\n") else line + b"\n")
            line = line.rstrip(b"\r\n")
            tag, _, rest = line.partition(b" ")
            tag = tag.decode("ascii", "replace")
            if not tag or not rest:
                self.send("* BAD no command\r\n")
                continue
            try:
                cmd, _, args = rest.partition(b" ")
                cmd = cmd.decode("ascii").upper()
                if cmd == "UID":
                    sub, _, args = args.partition(b" ")
                    cmd = "UID " + sub.decode("ascii").upper()
                toks = tokenize(args)
                for kind, v in toks:
                    if kind == "atom" and any(ch > 0x7E for ch in v):
                        raise Bad("8-bit characters in an atom")
                    if kind == "quoted" and not self.utf8 and any(ch > 0x7E for ch in v):
                        raise Bad("UTF-8 in a quoted string before ENABLE UTF8=ACCEPT")
                    if kind == "quoted" and self.utf8:
                        v.decode("utf-8")  # UnicodeDecodeError -> BAD
                if cmd == srv.drop_once:
                    srv.drop_once = None
                    return
                fn = getattr(self, "c_" + cmd.replace(" ", "_"), None)
                if fn is None:
                    raise Bad("unknown command %s" % cmd)
                if cmd not in ("CAPABILITY", "LOGIN", "LOGOUT", "NOOP") and self.user is None:
                    raise Bad("log in first")
                done = fn(tag, toks)
            except (Bad, ValueError, UnicodeDecodeError) as e:
                self.send("%s BAD %s\r\n" % (tag, e))
                continue
            finally:
                srv.store.dump(os.path.join(srv.state, "state.json"))
            if done:
                return

    def caps(self):
        c = "IMAP4rev1 ENABLE MOVE UIDPLUS"
        return c + ("" if self.server.no_utf8 else " UTF8=ACCEPT")

    def name(self, tok):
        """A mailbox argument as the name it stands for (UTF-8)."""
        kind, v = tok
        text = v.decode("utf-8") if self.utf8 else v.decode("ascii")
        if text.upper() == "INBOX":
            return "INBOX"
        return text if self.utf8 else mutf7_decode(text)

    def wire(self, name):
        return '"%s"' % (name if self.utf8 else mutf7_encode(name)).replace("\\", "\\\\").replace('"', '\\"')

    def c_CAPABILITY(self, tag, toks):
        self.send("* CAPABILITY %s\r\n%s OK CAPABILITY completed\r\n" % (self.caps(), tag))

    def c_NOOP(self, tag, toks):
        self.send("%s OK NOOP completed\r\n" % tag)

    def c_LOGIN(self, tag, toks):
        if len(toks) != 2:
            raise Bad("LOGIN user password")
        if toks[0][1] != b"cotiza" or toks[1][1] != os.environ.get("IMAP_TEST_PASS", "").encode():
            self.send("%s NO [AUTHENTICATIONFAILED] wrong user or password\r\n" % tag)
            return
        self.user = "cotiza"
        self.send("%s OK [CAPABILITY %s] logged in\r\n" % (tag, self.caps()))

    def c_LOGOUT(self, tag, toks):
        self.send("* BYE logging out\r\n%s OK LOGOUT completed\r\n" % tag)
        return True

    def c_ENABLE(self, tag, toks):
        if self.selected is not None:
            raise Bad("ENABLE only in the authenticated state")
        enabled = []
        for _, v in toks:
            if v.upper() == b"UTF8=ACCEPT" and not self.server.no_utf8 and not self.utf8:
                self.utf8 = True
                enabled.append("UTF8=ACCEPT")
        self.send("* ENABLED%s\r\n%s OK ENABLE completed\r\n" % ("".join(" " + e for e in enabled), tag))

    def box(self, name):
        b = self.server.store.boxes.get(name)
        if b is None:
            return None
        return b

    def c_SELECT(self, tag, toks):
        name = self.name(toks[0])
        b = self.box(name)
        if b is None:
            self.selected = None
            self.send("%s NO [NONEXISTENT] no mailbox %s\r\n" % (tag, self.wire(name)))
            return
        self.selected = name
        self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* %d EXISTS\r\n* 0 RECENT\r\n"
                  "* OK [UIDVALIDITY %d] UIDs valid\r\n* OK [UIDNEXT %d] predicted\r\n%s OK [READ-WRITE] SELECT completed\r\n"
                  % (len(b["msgs"]), b["validity"], b["next"], tag))

    c_EXAMINE = c_SELECT

    def c_CREATE(self, tag, toks):
        name = self.name(toks[0])
        if name in self.server.store.boxes:
            self.send("%s NO [ALREADYEXISTS] exists\r\n" % tag)
            return
        self.server.store.create(name)
        self.send("%s OK CREATE completed\r\n" % tag)

    def c_STATUS(self, tag, toks):
        name = self.name(toks[0])
        b = self.box(name)
        if b is None:
            self.send("%s NO [NONEXISTENT] no mailbox\r\n" % tag)
            return
        self.send("* STATUS %s (MESSAGES %d UIDNEXT %d UIDVALIDITY %d)\r\n%s OK STATUS completed\r\n"
                  % (self.wire(name), len(b["msgs"]), b["next"], b["validity"], tag))

    def c_LIST(self, tag, toks):
        if len(toks) != 2:
            raise Bad("LIST reference pattern")
        ref = self.name(toks[0]) if toks[0][1] else ""
        pat = ref + (toks[1][1].decode("utf-8") if self.utf8 else mutf7_decode(toks[1][1].decode("ascii")))
        if pat == "":
            self.send('* LIST (\\Noselect) "/" ""\r\n%s OK LIST completed\r\n' % tag)
            return
        rx = re.compile("^" + "".join(".*" if c == "*" else "[^/]*" if c == "%" else re.escape(c) for c in pat) + "$")
        for name in sorted(self.server.store.boxes):
            if rx.match(name):
                if self.utf8:   # a server may send any string as a literal: here the UTF-8 ones
                    raw = name.encode("utf-8")
                    self.send(b'* LIST () "/" {%d}\r\n' % len(raw) + raw + b"\r\n")
                else:
                    self.send('* LIST () "/" %s\r\n' % self.wire(name))
        self.send("%s OK LIST completed\r\n" % tag)

    def need_selected(self):
        if self.selected is None:
            raise Bad("no mailbox selected")
        return self.server.store.boxes[self.selected]

    def c_UID_SEARCH(self, tag, toks):
        b = self.need_selected()
        words = [v.decode("ascii").upper() for _, v in toks]
        highest = b["next"] - 1 if b["msgs"] else 0
        uids = [m["uid"] for m in b["msgs"]]
        if words[:1] == ["CHARSET"]:
            if self.utf8:
                raise Bad("no CHARSET after ENABLE UTF8=ACCEPT")
            words = words[2:]
        if words[:1] == ["UID"]:
            inset = seq_set(words[1], max(highest, 1))
            uids = [u for u in uids if inset(u)]
        elif words[:1] == ["SEEN"]:
            uids = [m["uid"] for m in b["msgs"] if "\\Seen" in m["flags"]]
        self.send("* SEARCH%s\r\n%s OK SEARCH completed\r\n" % ("".join(" %d" % u for u in uids), tag))

    def c_UID_FETCH(self, tag, toks):
        b = self.need_selected()
        inset = seq_set(toks[0][1].decode("ascii"), max(b["next"] - 1, 1))
        items = b" ".join(v for _, v in toks[1:]).upper()
        for seq, m in enumerate(b["msgs"], 1):
            if not inset(m["uid"]):
                continue
            parts = [b"UID %d" % m["uid"]]
            if b"RFC822.SIZE" in items:
                parts.append(b"RFC822.SIZE %d" % len(m["data"]))
            if b"BODY[]" in items or b"BODY.PEEK[]" in items:
                if b"BODY[]" in items:
                    m["flags"].add("\\Seen")
                parts.append(b"BODY[] {%d}\r\n" % len(m["data"]) + m["data"])
            if b"FLAGS" in items or b"BODY[]" in items:
                parts.append(b"FLAGS (" + " ".join(sorted(m["flags"])).encode() + b")")
            self.send(b"* %d FETCH (" % seq + b" ".join(parts) + b")\r\n")
        self.send("%s OK FETCH completed\r\n" % tag)

    def c_UID_STORE(self, tag, toks):
        b = self.need_selected()
        inset = seq_set(toks[0][1].decode("ascii"), max(b["next"] - 1, 1))
        op = toks[1][1].decode("ascii").upper()
        flags = toks[2][1].decode("ascii").strip("()").split()
        for m in b["msgs"]:
            if inset(m["uid"]):
                if op.startswith("+"):
                    m["flags"].update(flags)
                elif op.startswith("-"):
                    m["flags"].difference_update(flags)
                else:
                    m["flags"] = set(flags)
        self.send("%s OK STORE completed\r\n" % tag)

    def c_UID_MOVE(self, tag, toks):
        b = self.need_selected()
        if len(toks) != 2:
            raise Bad("UID MOVE set mailbox")
        inset = seq_set(toks[0][1].decode("ascii"), max(b["next"] - 1, 1))
        dest = self.name(toks[1])
        if dest not in self.server.store.boxes:
            self.send("%s NO [TRYCREATE] no mailbox %s\r\n" % (tag, self.wire(dest)))
            return
        keep, moved = [], []
        for m in b["msgs"]:
            (moved if inset(m["uid"]) else keep).append(m)
        d = self.server.store.boxes[dest]
        for m in moved:
            new = self.server.store.append(dest, m["data"], m["flags"])
            self.send("* OK [COPYUID %d %d %d] moved\r\n" % (d["validity"], m["uid"], new))
        for m in moved:
            self.send("* %d EXPUNGE\r\n" % (b["msgs"].index(m) + 1))
            b["msgs"].remove(m)
        self.send("%s OK MOVE completed\r\n" % tag)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("state")
    ap.add_argument("--no-utf8", action="store_true")
    ap.add_argument("--drop-once")
    ap.add_argument("--folder", action="append", default=[])
    ap.add_argument("--message", action="append", default=[])
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = a.state
    srv.no_utf8 = a.no_utf8
    srv.drop_once = a.drop_once.upper() if a.drop_once else None
    srv.store = Store(a.folder, [open(p, "rb").read() for p in a.message])
    srv.store.dump(os.path.join(a.state, "state.json"))
    with open(os.path.join(a.state, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(os.path.join(a.state, "port.tmp"), os.path.join(a.state, "port"))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
