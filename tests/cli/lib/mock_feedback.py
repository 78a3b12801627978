"""A mock hash exchange on loopback for tests/cli/exchange_feedback.sh (synthetic hash values).

Usage: python3 mock_feedback.py PORT LOG START_TIME
Logs every request as a JSON line {"method", "path", "auth", "fk", "ctype", "body", "bad"}
to LOG ("bad": why the mock refused it, "" when it was valid). Routes:
  GET  /ncmec/v2/entries                        one image e1 of member 42 (md5 MD5A) in the
                                                window starting at START_TIME, else empty
  GET  /ncmec/v2/status                         this account: member 7
  GET  /ncmec/v2/feedback/{MD5,PDQ}/reasons     the negative-feedback reasons (REASONS; the
                                                availableFeedbackReasons shape that
                                                python-threatexchange's client reads)
  PUT  /ncmec/v2/entries/7/e1/MD5/feedback      body checked strictly against the shape of
                                                python-threatexchange's NCMEC client and its
                                                fixtures (400 when it differs, or when a
                                                negative's guid is not in REASONS); 503 the
                                                first valid time, then 200
  GET  /sn/v1/FetchHashes, /deny/v1/FetchHashes one Active VideoMD5 MD5B, then nothing
  POST /sn/v1/SubmitFeedback                    200;  POST /deny/v1/SubmitFeedback  401
  GET  /te/g1/threat_updates/                   indicator 1001 (md5 MD5C)
  GET  /te/1001?fields=descriptors              descriptors 9001 (owner 55), 9002 (owner 777,
                                                the app of the token 777|...)
  POST /te/9001, /te/9002                       a reaction: form body reactions=SAW_THIS_TOO or
                                                DISAGREE_WITH_TAGS, token in the Authorization
                                                header only (400 otherwise)
"""
import http.server
import json
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

PORT, LOG, START = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
MD5A, MD5B, MD5C = "0123456789abcdef0123456789abcdef", "1" * 32, "2" * 32
NS = "{https://hashsharing.ncmec.org/hashsharing/v2}"
TE_TOKEN = "OAuth 777|te-token-synthetic-0123456789"
state = {"ncmec_puts": 0}
REASONS = [("01234567-abcd-0123-4567-012345678900", "Not the described content (synthetic)"),
           ("01234567-abcd-0123-4567-0123456789ff", "Other (synthetic)")]


def ncmec_body_problem(ctype, body):
    """Why body is not an NCMEC feedbackSubmission, or "" (strict: one root in NCMEC's
    namespace, exactly one of affirmative (empty) or negative (reasonIds with guids))."""
    if ctype.split(";")[0].strip() != "application/xml":
        return "content type " + ctype
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        return "a DOCTYPE"
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        return "not XML: %s" % e
    if root.tag != NS + "feedbackSubmission" or root.attrib or (root.text or "").strip():
        return "root " + root.tag
    kids = list(root)
    if len(kids) != 1:
        return "%d children" % len(kids)
    vote = kids[0]
    if vote.tag == NS + "affirmative":
        return "" if not list(vote) and not (vote.text or "").strip() else "affirmative not empty"
    if vote.tag != NS + "negative":
        return "vote " + vote.tag
    ids = list(vote)
    if len(ids) != 1 or ids[0].tag != NS + "reasonIds" or not list(ids[0]):
        return "negative without reasonIds"
    for g in ids[0]:
        if g.tag != NS + "guid" or not (g.text or "").strip() or list(g):
            return "reasonIds holds " + g.tag
        if g.text not in [r[0] for r in REASONS]:
            return "unknown reason " + g.text
    return ""


def te_reaction_problem(auth, ctype, query, body):
    if auth != TE_TOKEN:
        return "token"
    if query:
        return "query " + query  # the token or the reaction in the URL
    if ctype != "application/x-www-form-urlencoded":
        return "content type " + ctype
    form = urllib.parse.parse_qs(body, keep_blank_values=True, strict_parsing=True)
    if form != {"reactions": ["SAW_THIS_TOO"]} and form != {"reactions": ["DISAGREE_WITH_TAGS"]}:
        return "form %r" % form
    return ""


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log(self, body, bad=""):
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "auth": self.headers.get("Authorization", ""),
                                "fk": self.headers.get("x-functions-key", ""),
                                "ctype": self.headers.get("Content-Type", ""),
                                "body": body, "bad": bad}) + "\n")

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n).decode("utf-8", "replace") if n > 0 else ""

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        self.log("")
        if u.path == "/ncmec/v2/entries":
            inner = ""
            if q.get("from") == iso(START):
                inner = ('<image><member id="42"/><id>e1</id><classification>A1</classification>'
                         "<fingerprints><md5>%s</md5></fingerprints></image>" % MD5A)
            self.send(200, "<queryResult><images>%s</images></queryResult>" % inner,
                      "application/xml")
        elif u.path == "/ncmec/v2/status":
            self.send(200, '<status xmlns="%s"><member id="7">Hotline (synthetic)</member>'
                      "</status>" % NS[1:-1], "application/xml")
        elif u.path in ("/ncmec/v2/feedback/MD5/reasons", "/ncmec/v2/feedback/PDQ/reasons"):
            items = "".join('<reason guid="%s" name="%s" type="%s"/>' % (g, n, u.path.split("/")[4])
                            for g, n in REASONS)
            self.send(200, '<feedbackReasons xmlns="%s"><availableFeedbackReasons>%s'
                      "</availableFeedbackReasons></feedbackReasons>" % (NS[1:-1], items),
                      "application/xml")
        elif u.path == "/te/g1/threat_updates/":
            self.send(200, json.dumps({"data": [{"id": "1001", "indicator": MD5C,
                                                 "type": "HASH_MD5", "should_delete": False,
                                                 "descriptors": {"data": [
                                                     {"owner": {"id": "55"}}]}}],
                                       "paging": {}}))
        elif u.path == "/te/1001" and q == {"fields": "descriptors"}:
            self.send(200, json.dumps({"id": "1001", "descriptors": {"data": [
                {"id": "9001", "owner": {"id": "55"}},
                {"id": "9002", "owner": {"id": "777"}}]}}))
        elif u.path in ("/sn/v1/FetchHashes", "/deny/v1/FetchHashes"):
            recs = []
            if int(q.get("startTimestamp", "0")) < 500:
                recs = [{"lastModtimestamp": 100, "signalType": "VideoMD5", "hashValue": MD5B,
                         "hashStatus": "Active", "caseNumbers": {}, "CSPFeedbacks": []}]
            self.send(200, json.dumps({"count": len(recs), "nextPageToken": None,
                                       "nextSetTimestamp": 500, "hasMoreRecords": False,
                                       "hashRecords": recs}))
        else:
            self.send(404, "{}")

    def do_PUT(self):
        body = self.body()
        if self.path != "/ncmec/v2/entries/7/e1/MD5/feedback":
            self.log(body, "path")
            self.send(404, "{}")
            return
        bad = ncmec_body_problem(self.headers.get("Content-Type", ""), body)
        self.log(body, bad)
        if bad:
            self.send(400, "<error>%s</error>" % bad, "application/xml")
        else:
            state["ncmec_puts"] += 1
            if state["ncmec_puts"] == 1:
                self.send(503, "<error>busy</error>", "application/xml")
            else:
                self.send(200, "<submissionResult/>", "application/xml")

    def do_POST(self):
        body = self.body()
        u = urllib.parse.urlsplit(self.path)
        if u.path in ("/te/9001", "/te/9002"):
            bad = te_reaction_problem(self.headers.get("Authorization", ""),
                                      self.headers.get("Content-Type", ""), u.query, body)
            self.log(body, bad)
            self.send(400 if bad else 200, '{"error":"%s"}' % bad if bad else '{"success":true}')
            return
        self.log(body)
        if self.path == "/sn/v1/SubmitFeedback":
            self.send(200, "{}")
        elif self.path == "/deny/v1/SubmitFeedback":
            self.send(401, '{"error":"bad key"}')
        else:
            self.send(404, "{}")

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
