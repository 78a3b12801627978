"""A large mock StopNCII exchange for bench/exchange_serve_bench.sh (synthetic hash values).

Usage: python3 exchange_mock.py PORT RECORDS
GET /v1/FetchHashes?startTimestamp=&pageSize=&nextPageToken= answers RECORDS Active ImagePDQ
records in pages of pageSize (at most 5000), token "p<first record>", then an empty set. The
hash of record i is the SHA-256 of its number: fixed across runs, nothing real. Under the prefix
/s<K> (GET /s<K>/v1/FetchHashes) it answers another RECORDS records, K * RECORDS on: one data
set per back-fill round of the bench.
"""
import hashlib
import http.server
import json
import sys
import urllib.parse

PORT, RECORDS = int(sys.argv[1]), int(sys.argv[2])
END = 2000000000


def page(first, size, base=0):
    last = min(first + size, RECORDS)
    recs = ",".join(
        '{"lastModtimestamp":%d,"signalType":"ImagePDQ","hashValue":"%s","hashStatus":"Active",'
        '"caseNumbers":{},"CSPFeedbacks":[]}'
        % (1000 + i // 1000, hashlib.sha256(str(base + i).encode()).hexdigest())
        for i in range(first, last))
    more = last < RECORDS
    return ('{"count":%d,"nextPageToken":%s,"nextSetTimestamp":%d,"hasMoreRecords":%s,'
            '"hashRecords":[%s]}' % (last - first, json.dumps("p%d" % last) if more else "null",
                                     0 if more else END, "true" if more else "false", recs))


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        path, base = u.path, 0
        if path.startswith("/s") and path.count("/") == 3 and path.split("/")[1][1:].isdigit():
            base = int(path.split("/")[1][1:]) * RECORDS
            path = path[len(path.split("/")[1]) + 1:]
        if path != "/v1/FetchHashes":
            body = "{}"
            code = 404
        elif int(q.get("startTimestamp", "0") or 0) >= END:
            body = ('{"count":0,"nextPageToken":null,"nextSetTimestamp":%d,'
                    '"hasMoreRecords":false,"hashRecords":[]}' % END)
            code = 200
        else:
            tok = q.get("nextPageToken", "") or "p0"
            size = max(1, min(int(q.get("pageSize", "1000") or 1000), 5000))
            body = page(int(tok[1:]), size, base)
            code = 200
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
