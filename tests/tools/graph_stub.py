#!/usr/bin/env python3
"""A small stand-in for Microsoft Graph and its token endpoint, for the intake tests.

    graph_stub.py STATE_DIR        listens on 127.0.0.1 (port written to STATE_DIR/port)

Serves:
  POST /{tenant}/oauth2/v2.0/token                       client credentials -> bearer token
  GET  /v1.0/users/{user}/mailFolders/{folder}/messages/delta[?$skiptoken=N|$deltatoken=N]
  GET  /v1.0/users/{user}/messages/{id}/attachments
  GET  /v1.0/users/{user}/messages/{id}/attachments/{aid}/$value
Control (no auth), for the test to steer it:
  POST /_control/add      {"count": N, "big": bool}   adds N messages to the folder
  POST /_control/storm    {"count": N, "status": 429, "retry_after": 1}
  POST /_control/expire   every token issued so far is now expired (401 on use)
  POST /_control/delay    {"seconds": 0.05}           per Graph request
  POST /_control/add      {"count": 1, "kind": "item"|"reference"|"huge"}
                          a message forwarding an attached email (itemAttachment, whose MIME
                          /$value gives), linking a OneDrive file (referenceAttachment), or
                          carrying a 2 MB file
  POST /_control/move     {"index": N, "reimport": bool}  message N moved out of the folder and
                          back: delta reports its old id @removed and lists it again; its
                          regular id changes, its immutable id only on "reimport"
  POST /_control/expire_delta   the delta tokens handed out so far are forgotten: a request
                          with one answers 410 SyncStateNotFound until a fresh delta query
  POST /_control/sub_expire      every subscription expires (Graph deletes it: PATCH gives 404)
  POST /_control/lifecycle {"event": E}  sends the lifecycle notification E
                          (reauthorizationRequired, subscriptionRemoved, missed) of every
                          subscription to its lifecycleNotificationUrl; subscriptionRemoved
                          deletes the subscription first
  POST /_control/notify   a change notification (changeType created) of every subscription
  GET  /_control/stats    counters
  GET  /_control/subscriptions  the subscriptions as Graph keeps them
Subscriptions (POST /v1.0/subscriptions, PATCH /v1.0/subscriptions/{id}) follow Microsoft's
documentation: changeType, notificationUrl, resource and expirationDateTime are required; the
expiry is at most 4230 minutes ahead for Outlook messages (400 otherwise); the create is
validated by POSTing ?validationToken=... to notificationUrl and lifecycleNotificationUrl, which
must answer 200 text/plain with the decoded token within 10 s (400 otherwise); 201 with the
subscription; PATCH of an unknown or expired subscription is 404 ResourceNotFound.
Sending, as Microsoft documents it (each answers 401 without a valid token, and the storm and
delay controls apply as to any Graph request):
  POST   /v1.0/users/{user}/messages/{id}/createReply   201 with the draft (RE: subject, to the
                          original's sender, isDraft); 404 ErrorItemNotFound for an unknown id
  POST   /v1.0/users/{user}/messages                    201 with a new draft
  PATCH  /v1.0/users/{user}/messages/{draft}            200; internetMessageId only while isDraft
  POST   /v1.0/users/{user}/messages/{draft}/attachments    201 (fileAttachment with contentBytes;
                          above 3 MB: 413, an upload session is needed)
  POST   /v1.0/users/{user}/messages/{draft}/attachments/createUploadSession   201 with uploadUrl
                          (pre-authenticated: a PUT to it carrying Authorization is counted as an
                          error) and nextExpectedRanges; PUT with Content-Range, at most 4 MB each:
                          200 with nextExpectedRanges, 201 on the last
  POST   /v1.0/users/{user}/messages/{draft}/send       202, empty; the draft is sent
  POST   /v1.0/users/{user}/sendMail                    202, empty (message with attachments)
  DELETE /v1.0/users/{user}/messages/{draft}            204
  GET  /_control/sent     the messages sent: how (createReply, draft, sendMail), replyTo (the Graph
                          id answered), subject, to, body, internetMessageId, attachments [{name,
                          contentType, size, sha256}]
  GET  /_control/drafts   the drafts not sent
  POST /_control/send_delay {"seconds": S}   the send request waits S seconds before answering
  POST /_control/revoke   {"count": N}     the next N sending requests answer 401 whatever token
                          they carry (a token revoked before its time)
Pages hold 7 messages; tokens live `expires_in` seconds (STATE_DIR/expires_in, default 3600).
Shapes follow Microsoft's Graph documentation: ids are regular unless the request says
`Prefer: IdType="ImmutableId"`; an expired delta token is `410 Gone` with error code
SyncStateNotFound; removed items are `{"id": ..., "@removed": {"reason": "deleted"}}`;
itemAttachment and referenceAttachment carry no contentBytes.
"""
import base64
import email.message
import email.policy
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = sys.argv[1]
CLIENT_ID = os.environ.get("GRAPH_STUB_CLIENT_ID", "minca-test-app")
SECRET = os.environ["GRAPH_STUB_SECRET"]
PAGE = 7
lock = threading.Lock()
messages = []          # dicts in folder order
tokens = {}            # token -> expiry
stats = {"token_requests": 0, "graph_requests": 0, "throttled": 0, "unauthorized": 0, "value_downloads": 0,
         "bad_auth_header": 0, "immutable_requests": 0, "gone": 0, "sub_creates": 0, "sub_renews": 0,
         "sub_not_found": 0, "sub_rejected": 0, "validations": 0, "lifecycle_sent": 0}
subscriptions = {}     # id -> subscription as Graph returns it (plus "_reauth")
MAX_MINUTES = 4230
delta_expired = {"on": False}
storm = {"count": 0, "status": 429, "retry_after": 1}
delay = {"seconds": 0.0}
counter = {"token": 0}
drafts = {}            # draft id -> draft message (plus "_atts", "_how", "_replyTo")
sent = []              # messages sent, as /_control/sent shows them
uploads = {}           # session id -> {"draft", "item", "data"}
send_delay = {"seconds": 0.0}
revoked = {"count": 0}
MAX_INLINE = 3 * 1024 * 1024
MAX_CHUNK = 4 * 1024 * 1024
stats.update({"sends": 0, "drafts_created": 0, "drafts_deleted": 0, "upload_puts": 0, "upload_with_auth": 0,
              "sendmail": 0})


def public(d):
    return {k: v for k, v in d.items() if not k.startswith("_")}


def new_draft(how, fields, reply_to=None):
    did = f"AAMkDraft{len(drafts) + len(sent):04d}{uuid.uuid4().hex[:8]}=="
    d = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('x')/messages/$entity", "id": did,
         "isDraft": True, "subject": fields.get("subject", ""), "body": fields.get("body", {"contentType": "text", "content": ""}),
         "toRecipients": fields.get("toRecipients", []), "ccRecipients": [], "hasAttachments": False,
         "internetMessageId": f"<{uuid.uuid4().hex}@stub.outlook.com>",
         "_atts": [], "_how": how, "_replyTo": reply_to}
    if fields.get("internetMessageId"):
        d["internetMessageId"] = fields["internetMessageId"]
    with lock:
        drafts[did] = d
        stats["drafts_created"] += 1
    return d


def record_sent(how, msg, atts, reply_to=None):
    to = [r.get("emailAddress", {}).get("address") for r in msg.get("toRecipients", [])]
    out = {"how": how, "replyTo": reply_to, "subject": msg.get("subject"), "to": to,
           "body": (msg.get("body") or {}).get("content"), "internetMessageId": msg.get("internetMessageId"),
           "attachments": [{"name": a["name"], "contentType": a.get("contentType"), "size": len(a["bytes"]),
                            "sha256": __import__("hashlib").sha256(a["bytes"]).hexdigest()} for a in atts]}
    with lock:
        sent.append(out)
        stats["sends"] += 1


def attached_email(i):
    """The MIME Graph gives on /$value for an itemAttachment that is an email."""
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "Agente Reenviado <agente@corredor-adjunto.mx>"
    m["To"] = "ventas@corredor-nube.mx"
    m["Subject"] = f"Solicitud flotilla adjunta {i}"
    m["Message-ID"] = f"<adjunto-{i}@corredor-adjunto.mx>"
    m["Date"] = "Mon, 06 Oct 2025 08:00:00 -0600"
    m.set_content(f"Razón social: FLOTAS ADJUNTAS {i}, S.A. DE C.V.\nCobertura: amplia\n")
    m.add_attachment(f"MARCA,MODELO,AÑO\nNISSAN,NP300,20{10 + i % 15}\n".encode(), maintype="text",
                     subtype="csv", filename=f"flotilla adjunta {i}.csv")
    return m.as_bytes()


def add_messages(n, big=False, kind=None):
    with lock:
        start = len(messages)
        for i in range(start, start + n):
            mid = f"AAMkAG{i:06d}=="
            atts = [{"@odata.type": "#microsoft.graph.fileAttachment", "id": f"att{i}-1", "name": f"flotilla {i}.csv",
                     "contentType": "text/csv", "size": 60, "isInline": False,
                     "bytes": f"MARCA,MODELO,AÑO\nNISSAN,NP300,20{10 + i % 15}\n".encode()}]
            if big and i == start:
                data = os.urandom(5 * 1024 * 1024)
                atts.append({"@odata.type": "#microsoft.graph.fileAttachment", "id": f"att{i}-big", "name": "anexo grande.bin",
                             "contentType": "application/octet-stream", "size": len(data), "isInline": False, "bytes": data,
                             "large": True})
            if kind == "item":
                data = attached_email(i)
                atts = [{"@odata.type": "#microsoft.graph.itemAttachment", "id": f"att{i}-item",
                         "name": f"Solicitud flotilla adjunta {i}", "contentType": None, "size": len(data),
                         "isInline": False, "bytes": data, "large": True}]
            elif kind == "reference":
                atts.append({"@odata.type": "#microsoft.graph.referenceAttachment", "id": f"att{i}-ref",
                             "name": f"flotilla completa {i}.xlsx", "contentType": None, "size": 470, "isInline": False,
                             "sourceUrl": f"https://contoso-my.sharepoint.com/personal/ventas/Documents/flotilla-{i}.xlsx",
                             "providerType": "oneDriveBusiness", "permission": "organizationView", "isFolder": False})
            elif kind == "huge":
                data = os.urandom(2 * 1024 * 1024)
                atts.append({"@odata.type": "#microsoft.graph.fileAttachment", "id": f"att{i}-huge", "name": "anexo enorme.bin",
                             "contentType": "application/octet-stream", "size": len(data), "isInline": False, "bytes": data,
                             "large": True})
            messages.append({
                "id": mid,
                "_immutable": f"AAkALg{i:06d}==",
                "internetMessageId": f"<graph-{i}@corredor-nube.mx>",
                "subject": f"Cotización flotilla nube {i}",
                "from": {"emailAddress": {"name": "Corredor Nube", "address": "ventas@corredor-nube.mx"}},
                "toRecipients": [{"emailAddress": {"name": "Cotizaciones", "address": "cotiza@aseguradora.mx"}}],
                "ccRecipients": [],
                "sentDateTime": "2025-10-06T15:14:00Z",
                "receivedDateTime": "2025-10-06T15:14:05Z",
                "body": {"contentType": "html", "content": f"<p>Solicito cotización.</p><p>Razón social: FLOTAS NUBE {i}, S.A. DE C.V.<br>RFC: TPR010101AB8<br>Cobertura: amplia</p>"},
                "hasAttachments": True,
                "_atts": atts,
            })


def graph_time(s):
    s = s.rstrip("Z")
    if "." in s:
        s = s.split(".")[0]
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def post_json(url, payload):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def validate_endpoint(url):
    """Graph's handshake: the endpoint must echo the token as text/plain, 200, within 10 s."""
    token = f"Validation: Testing client application {uuid.uuid4()}"
    sep = "&" if "?" in url else "?"
    req = urllib.request.Request(f"{url}{sep}validationToken={urllib.parse.quote(token)}", data=b"", method="POST",
                                 headers={"Content-Type": "text/plain; charset=utf-8"})
    with lock:
        stats["validations"] += 1
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status == 200 and r.read().decode() == token \
                and r.headers.get("Content-Type", "").startswith("text/plain")
    except (urllib.error.HTTPError, OSError):
        return False


def sub_error(code, errcode, message):
    return code, {"error": {"code": errcode, "message": message,
                            "innerError": {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4())}}}


def create_subscription(req):
    for k in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
        if not req.get(k):
            return sub_error(400, "InvalidRequest", f"The {k} property is required.")
    try:
        exp = graph_time(req["expirationDateTime"])
    except ValueError:
        return sub_error(400, "InvalidRequest", "expirationDateTime is not a date.")
    now = datetime.now(timezone.utc)
    if exp <= now:
        return sub_error(400, "InvalidRequest", "Subscription expiration can only be in the future.")
    if exp > now + timedelta(minutes=MAX_MINUTES, seconds=30):
        return sub_error(400, "InvalidRequest", f"Subscription expiration can only be {MAX_MINUTES} minutes in the future.")
    if len(req.get("clientState") or "") > 128:
        return sub_error(400, "InvalidRequest", "clientState is longer than 128 characters.")
    if "messages" not in req["resource"].lower():
        return sub_error(400, "InvalidRequest", "Unsupported resource.")
    for url in [req["notificationUrl"]] + ([req["lifecycleNotificationUrl"]] if req.get("lifecycleNotificationUrl") else []):
        if not validate_endpoint(url):
            return sub_error(400, "InvalidRequest", "Subscription validation request failed. Notification endpoint "
                             "must respond with 200 OK to validation request.")
    sub = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
           "id": str(uuid.uuid4()), "resource": req["resource"], "applicationId": CLIENT_ID,
           "changeType": req["changeType"], "clientState": req.get("clientState"),
           "notificationUrl": req["notificationUrl"], "lifecycleNotificationUrl": req.get("lifecycleNotificationUrl"),
           "expirationDateTime": iso(exp), "creatorId": str(uuid.uuid4()), "includeResourceData": False,
           "latestSupportedTlsVersion": "v1_2", "encryptionCertificate": None, "encryptionCertificateId": None,
           "notificationQueryOptions": None, "notificationContentType": None}
    with lock:
        subscriptions[sub["id"]] = dict(sub, _reauth=False)
        stats["sub_creates"] += 1
    return 201, sub


def renew_subscription(sid, req):
    with lock:
        sub = subscriptions.get(sid)
        if sub and graph_time(sub["expirationDateTime"]) <= datetime.now(timezone.utc):
            del subscriptions[sid]
            sub = None
        if not sub:
            stats["sub_not_found"] += 1
            return sub_error(404, "ResourceNotFound", "The object was not found.")
    try:
        exp = graph_time(req.get("expirationDateTime", ""))
    except ValueError:
        return sub_error(400, "InvalidRequest", "expirationDateTime is not a date.")
    if exp > datetime.now(timezone.utc) + timedelta(minutes=MAX_MINUTES, seconds=30):
        return sub_error(400, "InvalidRequest", f"Subscription expiration can only be {MAX_MINUTES} minutes in the future.")
    with lock:
        sub["expirationDateTime"] = iso(exp)
        sub["_reauth"] = False
        stats["sub_renews"] += 1
        return 200, {k: v for k, v in sub.items() if not k.startswith("_")}


def send_lifecycle(event):
    with lock:
        subs = list(subscriptions.values())
        if event == "subscriptionRemoved":
            subscriptions.clear()
        elif event == "reauthorizationRequired":
            for s in subs:
                s["_reauth"] = True
    for s in subs:
        url = s.get("lifecycleNotificationUrl") or s["notificationUrl"]
        post_json(url, {"value": [{"subscriptionId": s["id"], "subscriptionExpirationDateTime": s["expirationDateTime"],
                                   "tenantId": "contoso-test", "clientState": s["clientState"], "lifecycleEvent": event}]})
        with lock:
            stats["lifecycle_sent"] += 1


def send_change():
    with lock:
        subs = list(subscriptions.values())
    for s in subs:
        post_json(s["notificationUrl"], {"value": [{"subscriptionId": s["id"], "subscriptionExpirationDateTime": s["expirationDateTime"],
                                                    "changeType": "created", "resource": s["resource"], "clientState": s["clientState"],
                                                    "tenantId": "contoso-test"}]})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        with open(os.path.join(STATE, "access.log"), "a") as f:
            f.write("%s %s\n" % (self.command, self.path))

    def reply(self, code, body, ctype="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def base(self):
        return f"http://127.0.0.1:{self.server.server_port}/v1.0"

    def do_POST(self):
        path = urllib.parse.urlparse(self.path).path
        raw = self.body()
        if path.endswith("/oauth2/v2.0/token"):
            form = urllib.parse.parse_qs(raw.decode())
            with lock:
                stats["token_requests"] += 1
            if form.get("grant_type") != ["client_credentials"] or form.get("client_id") != [CLIENT_ID] \
                    or form.get("client_secret") != [SECRET]:
                return self.reply(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
            life = int(open(os.path.join(STATE, "expires_in")).read()) if os.path.exists(os.path.join(STATE, "expires_in")) else 3600
            with lock:
                counter["token"] += 1
                tok = f"stub-token-{counter['token']}-{os.urandom(6).hex()}"
                tokens[tok] = time.time() + life
            return self.reply(200, {"token_type": "Bearer", "expires_in": life, "access_token": tok})
        if path == "/v1.0/subscriptions":
            with lock:
                stats["graph_requests"] += 1
            if not self.authorised():
                return self.reply(401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})
            try:
                req = json.loads(raw or b"{}")
            except ValueError:
                return self.reply(400, {"error": {"code": "BadRequest", "message": "Invalid JSON."}})
            code, body = create_subscription(req)
            if code >= 400:
                with lock:
                    stats["sub_rejected"] += 1
            return self.reply(code, body)
        parts = [urllib.parse.unquote(p) for p in path.split("/") if p]
        if len(parts) >= 4 and parts[:2] == ["v1.0", "users"] and (parts[3] in ("messages", "sendMail")):
            return self.sending_post(parts, raw)
        if path.startswith("/_control/"):
            req = json.loads(raw or b"{}")
            what = path.split("/")[-1]
            if what == "send_delay":
                send_delay["seconds"] = float(req.get("seconds", 0))
            elif what == "revoke":
                with lock:
                    revoked["count"] = int(req.get("count", 1))
            if what == "sub_expire":
                with lock:
                    for sub in subscriptions.values():
                        sub["expirationDateTime"] = iso(datetime.now(timezone.utc) - timedelta(seconds=1))
            elif what == "lifecycle":
                send_lifecycle(req["event"])
            elif what == "notify":
                send_change()
            elif what == "add":
                add_messages(int(req.get("count", 1)), bool(req.get("big")), req.get("kind"))
            elif what == "move":
                with lock:
                    m = messages[int(req["index"])]
                    moved = dict(m)
                    moved["_moves"] = m.get("_moves", 0) + 1
                    moved["id"] = f"{m['id'].split('-mv')[0]}-mv{moved['_moves']}"
                    if req.get("reimport"):
                        moved["_immutable"] = f"{m['_immutable'].split('-re')[0]}-re{moved['_moves']}"
                    messages[int(req["index"])] = {"id": m["id"], "_immutable": m["_immutable"],
                                                   "@removed": {"reason": "deleted"}, "_atts": []}
                    messages.append(moved)
            elif what == "expire_delta":
                with lock:
                    delta_expired["on"] = True
            elif what == "storm":
                with lock:
                    storm.update(req)
            elif what == "expire":
                with lock:
                    for t in tokens:
                        tokens[t] = 0
            elif what == "delay":
                delay["seconds"] = float(req.get("seconds", 0))
            return self.reply(200, {"ok": True})
        return self.reply(404, {"error": {"code": "NotFound", "message": path}})

    def gate(self):
        """What every Graph request meets first: the delay, the storm, the token. True when answered."""
        with lock:
            stats["graph_requests"] += 1
        if delay["seconds"]:
            time.sleep(delay["seconds"])
        with lock:
            if storm["count"] > 0:
                storm["count"] -= 1
                stats["throttled"] += 1
                throttled = (int(storm.get("status", 429)), str(storm.get("retry_after", 1)))
            else:
                throttled = None
        if throttled:
            self.reply(throttled[0], {"error": {"code": "TooManyRequests" if throttled[0] == 429 else "ServiceUnavailable",
                                                "message": "Please retry."}}, headers={"Retry-After": throttled[1]})
            return True
        with lock:
            revoke = revoked["count"] > 0
            if revoke:
                revoked["count"] -= 1
        if revoke or not self.authorised():
            with lock:
                stats["unauthorized"] += 1
            self.reply(401, {"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed, the token is expired."}})
            return True
        return False

    def not_found(self, what="The specified object was not found in the store."):
        return self.reply(404, {"error": {"code": "ErrorItemNotFound", "message": what}})

    def empty(self, code, headers=None):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def sending_post(self, parts, raw):
        if self.gate():
            return
        try:
            req = json.loads(raw) if raw else {}
        except ValueError:
            return self.reply(400, {"error": {"code": "RequestBodyRead", "message": "Invalid JSON."}})
        if parts[3] == "sendMail" and len(parts) == 4:
            msg = req.get("message")
            if not isinstance(msg, dict) or not msg.get("toRecipients"):
                return self.reply(400, {"error": {"code": "ErrorInvalidRecipients", "message": "At least one recipient is not valid."}})
            atts = []
            for a in msg.get("attachments", []):
                if a.get("@odata.type") != "#microsoft.graph.fileAttachment" or "contentBytes" not in a:
                    return self.reply(400, {"error": {"code": "BadRequest", "message": "fileAttachment with contentBytes expected"}})
                atts.append({"name": a.get("name"), "contentType": a.get("contentType"), "bytes": base64.b64decode(a["contentBytes"])})
            if send_delay["seconds"]:
                time.sleep(send_delay["seconds"])
            record_sent("sendMail", msg, atts)
            with lock:
                stats["sendmail"] += 1
            return self.empty(202)
        if len(parts) == 4:                     # POST /users/{u}/messages: a new draft
            d = new_draft("draft", req)
            return self.reply(201, public(d))
        with lock:
            original = next((m for m in messages if not m.get("@removed") and parts[4] in (m["id"], m["_immutable"])), None)
            draft = drafts.get(parts[4])
        if len(parts) == 6 and parts[5] == "createReply":
            if not original:
                return self.not_found()
            d = new_draft("createReply", {"subject": "RE: " + original["subject"], "toRecipients": [original["from"]],
                                          "body": {"contentType": "html", "content": "<hr>" + original["body"]["content"]}},
                          reply_to=parts[4])
            return self.reply(201, public(d))
        if not draft:
            return self.not_found()
        if len(parts) == 6 and parts[5] == "attachments":
            if req.get("@odata.type") != "#microsoft.graph.fileAttachment" or "contentBytes" not in req or not req.get("name"):
                return self.reply(400, {"error": {"code": "BadRequest", "message": "name and contentBytes are required"}})
            data = base64.b64decode(req["contentBytes"])
            if len(data) > MAX_INLINE:
                return self.reply(413, {"error": {"code": "RequestEntityTooLarge", "message": "The attachment is above 3 MB: use an upload session."}})
            att = {"id": f"att-{uuid.uuid4().hex[:8]}", "name": req["name"], "contentType": req.get("contentType"), "bytes": data}
            with lock:
                draft["_atts"].append(att)
                draft["hasAttachments"] = True
            return self.reply(201, {"@odata.type": "#microsoft.graph.fileAttachment", "id": att["id"], "name": att["name"],
                                    "contentType": att["contentType"], "size": len(data), "isInline": False})
        if len(parts) == 7 and parts[5] == "attachments" and parts[6] == "createUploadSession":
            item = req.get("AttachmentItem") or {}
            if item.get("attachmentType") != "file" or not item.get("name") or not isinstance(item.get("size"), int):
                return self.reply(400, {"error": {"code": "BadRequest", "message": "AttachmentItem with attachmentType, name and size"}})
            sid = uuid.uuid4().hex
            with lock:
                uploads[sid] = {"draft": parts[4], "item": item, "data": bytearray()}
            url = f"http://127.0.0.1:{self.server.server_port}/_upload/{sid}?authtoken=stub-{uuid.uuid4().hex}"
            return self.reply(201, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession",
                                    "uploadUrl": url, "expirationDateTime": iso(datetime.now(timezone.utc) + timedelta(hours=6)),
                                    "nextExpectedRanges": ["0-"]})
        if len(parts) == 6 and parts[5] == "send":
            if send_delay["seconds"]:
                time.sleep(send_delay["seconds"])
            with lock:
                d = drafts.pop(parts[4], None)
            if not d:
                return self.not_found()
            record_sent(d["_how"], d, d["_atts"], d["_replyTo"])
            return self.empty(202)
        return self.reply(400, {"error": {"code": "BadRequest", "message": "unsupported"}})

    def do_PUT(self):
        u = urllib.parse.urlparse(self.path)
        parts = [p for p in u.path.split("/") if p]
        raw = self.body()
        if len(parts) != 2 or parts[0] != "_upload":
            return self.reply(404, {"error": {"code": "NotFound", "message": u.path}})
        with lock:
            stats["upload_puts"] += 1
            if self.headers.get("Authorization"):
                stats["upload_with_auth"] += 1
            up = uploads.get(parts[1])
        if not up:
            return self.not_found("upload session")
        rng = self.headers.get("Content-Range", "")
        try:
            unit, spec = rng.split(" ", 1)
            span, total = spec.split("/")
            a, b = (int(x) for x in span.split("-"))
            total = int(total)
        except ValueError:
            return self.reply(400, {"error": {"code": "InvalidContentRange", "message": rng}})
        if unit != "bytes" or a != len(up["data"]) or b - a + 1 != len(raw) or total != up["item"]["size"] or len(raw) > MAX_CHUNK:
            return self.reply(416 if a != len(up["data"]) else 400,
                              {"error": {"code": "InvalidContentRange", "message": rng}})
        with lock:
            up["data"] += raw
            done = len(up["data"]) == total
            if done:
                draft = drafts.get(up["draft"])
                if draft is not None:
                    draft["_atts"].append({"id": f"att-{parts[1][:8]}", "name": up["item"]["name"],
                                           "contentType": up["item"].get("contentType"), "bytes": bytes(up["data"])})
                    draft["hasAttachments"] = True
                del uploads[parts[1]]
        if done:
            return self.empty(201, {"Location": f"{self.base()}/attachments/{parts[1]}"})
        return self.reply(200, {"expirationDateTime": iso(datetime.now(timezone.utc) + timedelta(hours=6)),
                                "nextExpectedRanges": [f"{len(up['data'])}-"]})

    def do_DELETE(self):
        parts = [urllib.parse.unquote(p) for p in urllib.parse.urlparse(self.path).path.split("/") if p]
        self.body()
        if len(parts) != 5 or parts[:2] != ["v1.0", "users"] or parts[3] != "messages":
            return self.reply(404, {"error": {"code": "NotFound", "message": self.path}})
        if self.gate():
            return
        with lock:
            d = drafts.pop(parts[4], None)
            if d:
                stats["drafts_deleted"] += 1
        return self.empty(204) if d else self.not_found()

    def authorised(self):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Bearer "):
            with lock:
                stats["bad_auth_header"] += 1
            return False
        with lock:
            exp = tokens.get(h[7:])
        return exp is not None and exp > time.time()

    def do_PATCH(self):
        parts = [urllib.parse.unquote(p) for p in urllib.parse.urlparse(self.path).path.split("/") if p]
        raw = self.body()
        if len(parts) == 5 and parts[:2] == ["v1.0", "users"] and parts[3] == "messages":
            if self.gate():
                return
            try:
                req = json.loads(raw or b"{}")
            except ValueError:
                return self.reply(400, {"error": {"code": "BadRequest", "message": "Invalid JSON."}})
            with lock:
                d = drafts.get(parts[4])
                if not d:
                    return self.not_found()
                for k in ("subject", "body", "toRecipients", "ccRecipients", "internetMessageId"):
                    if k in req:
                        d[k] = req[k]
                return self.reply(200, public(d))
        with lock:
            stats["graph_requests"] += 1
        if len(parts) != 3 or parts[:2] != ["v1.0", "subscriptions"]:
            return self.reply(404, {"error": {"code": "NotFound", "message": self.path}})
        if not self.authorised():
            return self.reply(401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            return self.reply(400, {"error": {"code": "BadRequest", "message": "Invalid JSON."}})
        code, body = renew_subscription(parts[2], req)
        return self.reply(code, body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        parts = [urllib.parse.unquote(p) for p in u.path.split("/") if p]
        if parts[:2] == ["_control", "stats"]:
            with lock:
                return self.reply(200, dict(stats, messages=len(messages)))
        if parts[:2] == ["_control", "sent"]:
            with lock:
                return self.reply(200, {"value": list(sent)})
        if parts[:2] == ["_control", "drafts"]:
            with lock:
                return self.reply(200, {"value": [public(d) for d in drafts.values()]})
        if parts[:2] == ["_control", "subscriptions"]:
            with lock:
                return self.reply(200, {"value": [{k: v for k, v in x.items() if k != "clientState"}
                                                  for x in subscriptions.values()]})
        with lock:
            stats["graph_requests"] += 1
        if delay["seconds"]:
            time.sleep(delay["seconds"])
        with lock:
            if storm["count"] > 0:
                storm["count"] -= 1
                stats["throttled"] += 1
                throttled = (int(storm.get("status", 429)), str(storm.get("retry_after", 1)))
            else:
                throttled = None
        if throttled:
            return self.reply(throttled[0], {"error": {"code": "TooManyRequests", "message": "Please retry."}},
                              headers={"Retry-After": throttled[1]})
        if not self.authorised():
            with lock:
                stats["unauthorized"] += 1
            return self.reply(401, {"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed, the token is expired."}})
        prefer = ",".join(self.headers.get_all("Prefer") or [])
        immutable = 'idtype="immutableid"' in prefer.replace(" ", "").lower()
        if immutable:
            with lock:
                stats["immutable_requests"] += 1

        def shown(m):
            out = {k: v for k, v in m.items() if not k.startswith("_")}
            if immutable:
                out["id"] = m["_immutable"]
            return out

        def find(mid):
            return next((m for m in messages if not m.get("@removed") and mid in (m["id"], m["_immutable"])), None)

        if len(parts) >= 7 and parts[0] == "v1.0" and parts[1] == "users" and parts[3] == "mailFolders" and parts[-1] == "delta":
            with lock:
                if "$deltatoken" in q and delta_expired["on"]:
                    stats["gone"] += 1
                    gone = True
                else:
                    gone = False
                    if "$deltatoken" not in q and "$skiptoken" not in q:
                        delta_expired["on"] = False
            if gone:
                return self.reply(410, {"error": {"code": "SyncStateNotFound",
                                                  "message": "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
                                                  "innerError": {"date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                                                 "request-id": os.urandom(8).hex()}}})
            base = f"{self.base()}/users/{urllib.parse.quote(parts[2])}/mailFolders/{urllib.parse.quote(parts[4])}/messages/delta"
            with lock:
                total = len(messages)
                if "$deltatoken" in q:
                    start = int(q["$deltatoken"][0])
                elif "$skiptoken" in q:
                    start = int(q["$skiptoken"][0])
                else:
                    start = 0
                page = messages[start:start + PAGE]
            out = {"@odata.context": "stub", "value": [shown(m) for m in page]}
            end = start + len(page)
            if end < total:
                out["@odata.nextLink"] = f"{base}?$skiptoken={end}"
            else:
                out["@odata.deltaLink"] = f"{base}?$deltatoken={end}"
            return self.reply(200, out)
        if len(parts) >= 6 and parts[0] == "v1.0" and parts[3] == "messages" and parts[5] == "attachments":
            with lock:
                m = find(parts[4])
            if not m:
                return self.reply(404, {"error": {"code": "ErrorItemNotFound", "message": "not found"}})
            if len(parts) == 6:
                vals = []
                for a in m["_atts"]:
                    v = {k: x for k, x in a.items() if k not in ("bytes", "large")}
                    if not a.get("large") and "bytes" in a:
                        v["contentBytes"] = base64.b64encode(a["bytes"]).decode()
                    vals.append(v)
                return self.reply(200, {"value": vals})
            if len(parts) == 8 and parts[7] == "$value":
                a = next((a for a in m["_atts"] if a["id"] == parts[6]), None)
                if not a:
                    return self.reply(404, {"error": {"code": "ErrorItemNotFound", "message": "no attachment"}})
                with lock:
                    stats["value_downloads"] += 1
                return self.reply(200, a["bytes"], ctype=a["contentType"])
        return self.reply(404, {"error": {"code": "NotFound", "message": u.path}})


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(STATE, "port.tmp"), "w") as f:
    f.write(str(srv.server_port))
os.rename(os.path.join(STATE, "port.tmp"), os.path.join(STATE, "port"))
srv.serve_forever()
