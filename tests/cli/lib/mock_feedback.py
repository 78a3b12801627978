"""A mock hash exchange on loopback for tests/cli/exchange_feedback.sh (synthetic hash values).

Usage: python3 mock_feedback.py PORT LOG START_TIME
Logs every request as a JSON line {"method", "path", "auth", "fk", "body"} to LOG. Routes:
  GET  /ncmec/v2/entries                        one image e1 of member 42 (md5 MD5A) in the
                                                window starting at START_TIME, else empty
  PUT  /ncmec/v2/entries/42/e1/IMAGE/feedback   503 the first time, then 200
  GET  /sn/v1/FetchHashes, /deny/v1/FetchHashes one Active VideoMD5 MD5B, then nothing
  POST /sn/v1/SubmitFeedback                    200;  POST /deny/v1/SubmitFeedback  401
"""
import http.server
import json
import sys
import time
import urllib.parse

PORT, LOG, START = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
MD5A, MD5B = "0123456789abcdef0123456789abcdef", "1" * 32
state = {"ncmec_puts": 0}


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

    def log(self, body):
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "auth": self.headers.get("Authorization", ""),
                                "fk": self.headers.get("x-functions-key", ""),
                                "body": body}) + "\n")

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
        self.log(self.body())
        if self.path == "/ncmec/v2/entries/42/e1/IMAGE/feedback":
            state["ncmec_puts"] += 1
            if state["ncmec_puts"] == 1:
                self.send(503, "<error>busy</error>", "application/xml")
            else:
                self.send(200, "<feedbackResult/>", "application/xml")
        else:
            self.send(404, "{}")

    def do_POST(self):
        self.log(self.body())
        if self.path == "/sn/v1/SubmitFeedback":
            self.send(200, "{}")
        elif self.path == "/deny/v1/SubmitFeedback":
            self.send(401, '{"error":"bad key"}')
        else:
            self.send(404, "{}")

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
