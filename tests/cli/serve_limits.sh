#!/usr/bin/env bash
# childguard serve: small uploads that would hold a worker or a lot of memory (issue 13 item 5).
# Against a server this script starts on a free port:
#   - a 118 KB PNG that decodes to 10000 x 10000 pixels (100 MP) is refused by serve's own pixel
#     limit (24 MP by default) before any pixel is allocated: the verdict says why, /h/hash
#     answers 422, and the server's peak memory does not grow by the 300 MB it would take;
#   - a 0.5 MB MP4 of 40,000 tiny frames stops at serve's frame limit (configured here: 20,000);
#   - decoding runs on its own bounded workers: while heavy video scans keep the only decoding
#     worker busy (and its queue full: more get 503 at once), lookups keep answering, and they
#     are all answered before most of the scans are.
# Fixtures are synthetic (python3 writes the PNG; ffmpeg's lavfi sources make the videos).
# Usage: bash serve_limits.sh /path/to/childguard /path/to/source-root [testdata]
set -u
CG=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/serve_common.sh"
cg_test_init curl python3 ffmpeg
"$CG" hash --help 2>&1 | grep -qi video || { echo "SKIPPED: built without video support"; exit 77; }
KEY=$("$CG" keys create worker --scope scan,hash,match 2>/dev/null | grep -m1 '^cgk_')
ADMIN=$("$CG" keys create admin --scope all 2>/dev/null | grep -m1 '^cgk_')

python3 - "$tmp/huge.png" <<'PY'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
w = h = 10000
c = zlib.compressobj(9)
row = b"\0" + b"\x80" * w
data = b"".join(c.compress(row) for _ in range(h)) + c.flush()
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                              + chunk(b"IDAT", data) + chunk(b"IEND", b""))
PY
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=gray:s=16x16:r=1000" -t 40 \
    -c:v libx264 -preset ultrafast "$tmp/many.mp4"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=640x480:rate=30" -t 120 \
    -c:v libx264 -preset ultrafast -crf 32 "$tmp/heavy.mp4"
check "fixtures: a 100 MP PNG, a 40,000-frame MP4, a 3,600-frame 640x480 MP4" \
    "[ -s $tmp/huge.png ] && [ -s $tmp/many.mp4 ] && [ -s $tmp/heavy.mp4 ]"
echo "   (sizes: $(stat -c '%n %s' "$tmp/huge.png" "$tmp/many.mp4" "$tmp/heavy.mp4" | sed "s|$tmp/||g" | tr '\n' ' '))"

echo '{"guidance_lang": "fr"}' >"$tmp/bad.json"
"$CG" serve --config "$tmp/bad.json" --listen 127.0.0.1:0 --db "$CHILDGUARD_DB" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a config with guidance_lang \"fr\" is refused before listening" "[ $rc -eq 2 ] && grep -q 'guidance_lang' $tmp/err"
port=$(free_port)
B="http://127.0.0.1:$port"
cat >"$tmp/serve.json" <<EOF2
{"video_max_frames": 20000, "decode_workers": 1, "decode_queue": 2, "guidance_lang": "en"}
EOF2
"$CG" serve --config "$tmp/serve.json" --listen 127.0.0.1:$port --db "$CHILDGUARD_DB" \
    --log "$CHILDGUARD_AUDIT_LOG" --threads 2 >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
up=0
cg_wait_live "$B" "$server_pid" && up=1
check "the server comes up" "[ $up -eq 1 ]"
[ $up -eq 1 ] || { cat "$tmp/server.log"; exit 1; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"; }
py() { python3 -c "import json,sys; j=json.load(open('$tmp/out')); $1"; }

# ---- pixels -------------------------------------------------------------------------------------
before=$(hwm)
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $KEY" --data-binary "@$tmp/huge.png" "$B/v1/scan")
check "a 100 MP PNG: the verdict says it is over the pixel limit (digests still matched)" \
    "[ $code = 200 ] && py \"assert j['decode_error']['status']=='limit' and 'over the limit' in j['decode_error']['message'] and 'md5' in j['signals'], j\""
check "the config's guidance_lang en is the verdict's guidance language" \
    "py \"assert j['guidance_lang']=='en', j['guidance_lang']\""
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $KEY" --data-binary "@$tmp/huge.png" "$B/h/hash")
check "/h/hash of it: 422 naming the limit" "[ $code = 422 ] && grep -q 'over the limit' $tmp/out"
after=$(hwm)
echo "   (peak RSS $before -> $after KiB)"
check "the server's peak memory did not grow by the image (< 64 MiB; decoding it takes 300 MB)" \
    "[ \$((after - before)) -lt 65536 ]"

# ---- frames -------------------------------------------------------------------------------------
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -H "Authorization: Bearer $KEY" --data-binary "@$tmp/many.mp4" "$B/v1/scan")
check "a 40,000-frame MP4 stops at serve's frame limit" \
    "[ $code = 200 ] && py \"assert j['kind']=='video' and j['decode_error']['status']=='limit' and '20000 frames' in j['decode_error']['message'], j.get('decode_error')\""

# ---- heavy scans do not starve lookups ------------------------------------------------------------
pdq=$(python3 -c "import random; random.seed(3); print('%064x' % random.getrandbits(256))")
for i in 1 2 3 4 5 6; do
    ( curl -s -o "$tmp/scan.$i" -w '%{http_code}\n' -H "Authorization: Bearer $KEY" \
        --data-binary "@$tmp/heavy.mp4" "$B/v1/scan" >"$tmp/code.$i"; touch "$tmp/done.$i" ) &
done
busy=0
for _ in $(seq 1 300); do
    curl -s -H "Authorization: Bearer $ADMIN" "$B/metrics" >"$tmp/metrics"
    running=$(awk '$1=="childguard_decode_running" {print $2}' "$tmp/metrics")
    [ "${running:-0}" -ge 1 ] && { busy=1; break; }
    sleep 0.05
done
check "the decoding worker is busy with a heavy scan" "[ $busy -eq 1 ]"
ok=0
for i in $(seq 1 20); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 60 -H "Authorization: Bearer $KEY" \
        "$B/m/raw_lookup?signal_type=pdq&signal=$pdq")
    [ "$code" = 200 ] && ok=$((ok + 1))
done
done_scans=0
for i in 1 2 3 4 5 6; do
    [ -e "$tmp/done.$i" ] && grep -q '^200$' "$tmp/code.$i" && done_scans=$((done_scans + 1))
done
curl -s -H "Authorization: Bearer $ADMIN" "$B/metrics" >"$tmp/metrics"
echo "   (lookups answered: $ok/20; scans run to the end by then: $done_scans)"
check "20 lookups all answer while the heavy scans run" "[ $ok -eq 20 ]"
check "and were answered before most of the accepted scans (3) were" "[ $done_scans -le 1 ]"
for _ in $(seq 1 1200); do [ "$(ls "$tmp"/done.* 2>/dev/null | wc -l)" -eq 6 ] && break; sleep 0.1; done
codes=$(cat "$tmp"/code.* | tr '\n' ' ')
echo "   (scan replies: $codes)"
check "every scan was answered: 200 while the worker and its queue (1 + 2) had room, else 503 at once" \
    "[ \$(echo $codes | tr ' ' '\n' | grep -c '^200$') -ge 3 ] && [ \$(echo $codes | tr ' ' '\n' | grep -cv '^200$\|^503$') -eq 0 ]"
check "a refused scan is counted in /metrics" \
    "! echo $codes | grep -q 503 || curl -s -H 'Authorization: Bearer $ADMIN' $B/metrics | grep -q 'childguard_events_total{event=\"decode_queue_full\"} [1-9]'"
check "a scan that ran holds the video's frame hashes" "python3 -c \"import json,glob; assert any(json.load(open(f)).get('kind')=='video' for f in glob.glob('$tmp/scan.*') if open(f).read(1)=='{')\""

kill -TERM $server_pid
wait $server_pid
rc=$?
server_pid=
check "the server stops cleanly" "[ $rc -eq 0 ]"
check "no sanitizer or crash report" "! grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' $tmp/server.log"
[ $fail -eq 0 ] && echo "all serve limits checks passed"
exit $fail
