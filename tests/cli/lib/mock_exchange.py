"""A mock hash exchange on loopback for tests/cli/exchange_fetch.sh (synthetic hash values).

Usage: python3 mock_exchange.py PORT LOG START_TIME
Logs every request as a JSON line {"path", "auth", "fk"} to LOG. Routes:
  /ncmec/v2/entries       NCMEC hash sharing XML: the window starting at START_TIME holds two
                          pages (paging/next); page 2 deletes entry e2; other windows are empty
  /sn/v1/FetchHashes      StopNCII JSON: page 1 (two Active hashes, token t2); every page asked
                          with token t2 is malformed (so the driver retries, shrinks and skips);
                          from startTimestamp 102 on: MD5X Withdrawn, next set at 500; 500: empty
  /te/g1/threat_updates/  ThreatExchange: page 1 with paging.next (an access_token in it), page 2
                          with should_delete on 1002
  /huge/...               a 300 kB body;  /slow/...  a body that trickles one byte a second
  /redirect/...           302 to /stolen on this server;  /auth401/...  401
  /big/v1/FetchHashes     StopNCII, 5 pages of 100 Active MD5s (tokens p2..p5); page 3 waits
                          while the file LOG.hold exists (a fetch to kill -9 between pages)
  /busy/...  503 Retry-After: 120;  /busydate/...  503 Retry-After: an HTTP date 300 s ahead;
  /busybad/...  429 Retry-After: soon (not a number: ignored)
  /hang/...  holds every request while the file LOG.hang exists (at most a minute), then an
             empty StopNCII set (an exchange that is stuck: exchange_fetchers.sh)
"""
import email.utils
import os
import http.server
import json
import sys
import time
import urllib.parse

PORT, LOG, START = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
PDQ1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5A, MD5B, MD5C = "0123456789abcdef0123456789abcdef", "1" * 32, "2" * 32
MD5X, MD5Y = "3" * 32, "4" * 32


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def image(entry, hashes):
    fp = "".join("<%s>%s</%s>" % (k, v, k) for k, v in hashes)
    return ('<image><member id="42"/><id>%s</id><classification>A1</classification>'
            "<fingerprints>%s</fingerprints></image>" % (entry, fp))


def ncmec(q):
    if q.get("start") == "2":
        body = ('<deletedImage><member id="42"/><id>e2</id></deletedImage>'
                + image("e3", [("md5", MD5C)]))
        return "<queryResult><images>%s</images></queryResult>" % body
    if q.get("from") == iso(START):
        body = image("e1", [("md5", MD5A), ("pdq", PDQ1)]) + image("e2", [("md5", MD5B)])
        nxt = "/v2/entries?from=%s&amp;to=%s&amp;start=2&amp;size=2&amp;max=3" % (
            q["from"], q["to"])
        return ("<queryResult><images>%s</images><paging><next>%s</next></paging>"
                "</queryResult>" % (body, nxt))
    return "<queryResult><images></images></queryResult>"


def rec(ts, typ, value, status):
    return {"lastModtimestamp": ts, "signalType": typ, "hashValue": value,
            "hashStatus": status, "caseNumbers": {}, "CSPFeedbacks": []}


def stopncii(q):
    start = int(q.get("startTimestamp", "0"))
    if q.get("nextPageToken") == "t2":
        return None  # malformed
    if start >= 500:
        return {"count": 0, "nextPageToken": None, "nextSetTimestamp": 500,
                "hasMoreRecords": False, "hashRecords": []}
    if start > 101:
        return {"count": 1, "nextPageToken": None, "nextSetTimestamp": 500,
                "hasMoreRecords": False, "hashRecords": [rec(300, "VideoMD5", MD5X, "Withdrawn")]}
    return {"count": 2, "nextPageToken": "t2", "nextSetTimestamp": 0, "hasMoreRecords": True,
            "hashRecords": [rec(100, "ImagePDQ", PDQ1, "Active"),
                            rec(101, "VideoMD5", MD5X, "Active")]}


def big_hash(page, i):
    return "%02d%030d" % (page, i)


def big(q):
    page = int(q.get("nextPageToken", "p1")[1:] or "1")
    if page == 3:
        for _ in range(600):  # at most a minute
            if not os.path.exists(LOG + ".hold"):
                break
            time.sleep(0.1)
    more = page < 5
    return {"count": 100, "nextPageToken": "p%d" % (page + 1) if more else None,
            "nextSetTimestamp": 1000 if not more else 0, "hasMoreRecords": more,
            "hashRecords": [rec(100 + page, "VideoMD5", big_hash(page, i), "Active")
                            for i in range(100)]}


def te(q, base):
    if q.get("after") == "c2":
        return {"data": [{"id": "1002", "indicator": MD5Y, "type": "HASH_MD5",
                          "should_delete": True,
                          "descriptors": {"data": [{"owner": {"id": "55"}}]}}], "paging": {}}
    return {"data": [{"id": "1001", "indicator": PDQ1, "type": "HASH_PDQ", "should_delete": False,
                      "tags": ["t1"], "descriptors": {"data": [{"owner": {"id": "55"}}]}},
                     {"id": "1002", "indicator": MD5Y, "type": "HASH_MD5",
                      "should_delete": False,
                      "descriptors": {"data": [{"owner": {"id": "55"}}]}}],
            "paging": {"next": base + "/te/g1/threat_updates/?access_token=TOKEN-IN-LINK&after=c2"}}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization", ""),
                                "fk": self.headers.get("x-functions-key", "")}) + "\n")
        base = "http://127.0.0.1:%d" % PORT
        p = u.path
        if p == "/ncmec/v2/entries":
            self.send(200, ncmec(q), "application/xml")
        elif p == "/sn/v1/FetchHashes":
            page = stopncii(q)
            if page is None:
                self.send(200, "<html>gateway error</html>", "text/html")
            else:
                self.send(200, json.dumps(page))
        elif p == "/te/g1/threat_updates/":
            self.send(200, json.dumps(te(q, base)))
        elif p == "/big/v1/FetchHashes":
            if int(q.get("startTimestamp", "0")) >= 1000:
                self.send(200, json.dumps({"count": 0, "nextPageToken": None,
                                           "nextSetTimestamp": 1000, "hasMoreRecords": False,
                                           "hashRecords": []}))
            else:
                self.send(200, json.dumps(big(q)))
        elif p.startswith("/hang/"):
            for _ in range(600):
                if not os.path.exists(LOG + ".hang"):
                    break
                time.sleep(0.1)
            try:
                self.send(200, json.dumps({"count": 0, "nextPageToken": None,
                                           "nextSetTimestamp": 0, "hasMoreRecords": False,
                                           "hashRecords": []}))
            except OSError:
                pass  # the client gave up (its run's time was spent)
        elif p.startswith("/busy/"):
            self.send(503, "busy", "text/plain", [("Retry-After", "120")])
        elif p.startswith("/busydate/"):
            self.send(503, "busy", "text/plain",
                      [("Retry-After", email.utils.formatdate(time.time() + 300, usegmt=True))])
        elif p.startswith("/busybad/"):
            self.send(429, "slow down", "text/plain", [("Retry-After", "soon")])
        elif p.startswith("/huge/"):
            self.send(200, '{"count":0,"hashRecords":[' + " " * 300000 + "]}")
        elif p.startswith("/slow/"):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(60):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(1)
        elif p.startswith("/redirect/"):
            self.send(302, "", headers=[("Location", base + "/stolen")])
        elif p.startswith("/auth401/"):
            self.send(401, '{"error":"bad key"}')
        else:
            self.send(404, "{}")

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
