#!/usr/bin/env bash
# Fuzz smoke test: builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz if needed,
# generates the seed corpora with fuzz_seeds, and runs every target for SECONDS (default 20),
# one target per core at a time (CG_FUZZ_JOBS).
# Exits non-zero, naming the target, if any target crashes, leaks, times out or breaks a
# contract check; the crashing input is kept under build-fuzz/fuzz-run/artifacts/<target>/.
#
#   scripts/fuzz-smoke.sh [SECONDS]
#
# Environment: CC (default clang), CG_FUZZ_BUILD_DIR (default <repo>/build-fuzz),
# CG_FUZZ_TARGETS (space-separated subset of targets to run).
set -euo pipefail

secs=${1:-20}
case $secs in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CG_FUZZ_BUILD_DIR:-$root/build-fuzz}
cc=${CC:-clang}
all_targets="fuzz_decode_jpeg fuzz_decode_png fuzz_decode_webp fuzz_decode_gif fuzz_decode_heif
    fuzz_decode_bmp fuzz_decode_any fuzz_hex fuzz_vpdq_text fuzz_bank_list fuzz_text_normalize
    fuzz_text_detect fuzz_policy fuzz_report fuzz_vision_model fuzz_exchange_ncmec
    fuzz_exchange_stopncii fuzz_exchange_threat_updates fuzz_package"
targets=${CG_FUZZ_TARGETS:-$all_targets}

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz-smoke: $cc not found; libFuzzer needs clang (set CC)" >&2
    exit 2
fi

# Configure once; later runs only rebuild what changed.
cache=$build/CMakeCache.txt
if [ -f "$cache" ] && ! grep -q '^CG_BUILD_FUZZ:BOOL=ON' "$cache"; then
    echo "fuzz-smoke: $build is not a fuzz build (CG_BUILD_FUZZ is off); remove it or set" \
        "CG_FUZZ_BUILD_DIR" >&2
    exit 2
fi
if [ ! -f "$cache" ]; then
    CC=$cc cmake -S "$root" -B "$build" \
        -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="-O1 -gline-tables-only" \
        -DCG_BUILD_FUZZ=ON -DCG_BUILD_TESTS=OFF -DCG_BUILD_PROGRAMS=OFF -DCG_BUILD_SHARED=OFF \
        -DCG_SANITIZE=address,undefined
fi
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
cmake --build "$build" -j "$jobs"

bin=$build/tests/fuzz
for t in fuzz_seeds $targets; do
    if [ ! -x "$bin/$t" ]; then
        echo "fuzz-smoke: $bin/$t was not built (is $build a CG_BUILD_FUZZ=ON clang tree?)" >&2
        exit 2
    fi
done

run=$build/fuzz-run
rm -rf "$run/seeds"
mkdir -p "$run"
"$bin/fuzz_seeds" "$run/seeds" 2>"$run/fuzz_seeds.log" || {
    echo "fuzz-smoke: fuzz_seeds failed:" >&2
    cat "$run/fuzz_seeds.log" >&2
    exit 1
}

# Seeds of the JSON inputs: the shipped and test policies, two stored verdicts.
mkdir -p "$run/seeds/policy" "$run/seeds/report"
cp "$root"/data/policy/default.json "$root"/tests/policy/*.json "$run/seeds/policy/"
printf '%s' '{"content_id":"msg:c/1","kind":"message","text":{"conversation":"c","message_id":"1","sender":"a","recipient":"b","ts_ms":1790000000000,"alert":"urgent","risk":{"grooming":0.9},"evidence":[{"message_id":"1","harm":"grooming","facet":"meeting","cue":"gr.meet","start":0,"end":4,"weight":0.5}]},"decision":{"actions":[{"action":"queue_review"}],"fired":[{"id":"grooming-alert","why":"alert urgent"}]},"scanned_at":"2026-11-29T10:00:00.000Z"}' \
    >"$run/seeds/report/message.json"
printf '%s' '{"content_id":"sha256:0000000000000000000000000000000000000000000000000000000000000000","kind":"image","name":"a.jpg","signals":{"pdq":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","pdq_quality":100,"md5":"00000000000000000000000000000000","sha256":"0000000000000000000000000000000000000000000000000000000000000000"},"matches":[{"bank":"b","label":"csam","kind":"block","signal_type":"pdq","distance":3,"external_id":"x"}],"decision":{"actions":[{"action":"block"}],"fired":[]},"scanned_at":"2026-11-29T10:00:00.000Z"}' \
    >"$run/seeds/report/image.json"

# Seeds of the model loader: the head of the shipped model (its header, metadata and first
# tensors), odd first byte kept so the target reseals it and parses the records.
mkdir -p "$run/seeds/vision"
head -c 60000 "$root/data/vision/nsfw_mobilenet_v2.cgvm" >"$run/seeds/vision/head.cgvm"
head -c 4096 "$root/data/vision/nsfw_mobilenet_v2.cgvm" >"$run/seeds/vision/short.cgvm"

# Seeds of the exchange pages and signed packages (synthetic values; tests/unit/test_exchange.c
# and test_package.c hold fuller pages).
mkdir -p "$run/seeds/ncmec" "$run/seeds/stopncii" "$run/seeds/threat_updates" "$run/seeds/package"
printf '%s' '<queryResult><images count="2" maxTimestamp="2026-11-30T12:00:05Z"><image><member id="42">x</member><id>e1</id><timestamp>2026-11-30T12:00:05Z</timestamp><classification>A1</classification><fingerprints><md5>0123456789abcdef0123456789abcdef</md5><sha1>0123456789abcdef0123456789abcdef01234567</sha1><pdq>f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22</pdq></fingerprints></image><deletedImage><member id="42"/><id>e0</id></deletedImage></images><videos><video><member id="7"/><id>v1</id><fingerprints><md5>11111111111111111111111111111111</md5></fingerprints></video></videos><paging><next>/v2/entries?from=a&amp;start=1000&amp;size=1000&amp;max=1500</next></paging></queryResult>' \
    >"$run/seeds/ncmec/page.xml"
printf '%s' '{"count":2,"nextPageToken":"t1","nextSetTimestamp":5,"hasMoreRecords":true,"hashRecords":[{"lastModtimestamp":1,"signalType":"ImagePDQ","hashValue":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","hashStatus":"Active","caseNumbers":{},"CSPFeedbacks":[]},{"lastModtimestamp":2,"signalType":"VideoMD5","hashValue":"0123456789abcdef0123456789abcdef","hashStatus":"Withdrawn"}]}' \
    >"$run/seeds/stopncii/page.json"
printf '%s' '{"data":[{"id":"1","indicator":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","type":"HASH_PDQ","last_updated":1,"should_delete":false,"tags":["a"],"descriptors":{"data":[{"owner":{"id":"5"}}]}},{"id":"2","indicator":"0123456789abcdef0123456789abcdef","type":"HASH_MD5","should_delete":true}],"paging":{"next":"https://te.test/g/threat_updates/?after=c"}}' \
    >"$run/seeds/threat_updates/page.json"
printf '%s' '{"format":"childguard-package/1","producer":"p","bank":"b","label":"l","sequence":3,"base_sequence":2,"created":"2026-01-01T00:00:00Z","expires":"2026-02-01T00:00:00Z","files":[{"name":"adds.jsonl","sha256":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","count":2,"bytes":10}]}' \
    >"$run/seeds/package/manifest.json"
printf '%s' '{"signal_type":"pdq","signal":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","until":1800000000}' \
    >"$run/seeds/package/line.json"
printf 'untrusted comment: x\nRUQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\ntrusted comment: c\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n' \
    >"$run/seeds/package/sig.minisig"

# Seeds of the vPDQ text: a file-form excerpt of the reference vectors and the exchange form.
mkdir -p "$run/seeds/vpdq"
printf '0,100,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,0.000\r\n30,87,0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef,1.000\n\n' \
    >"$run/seeds/vpdq/file.txt"
printf '%s' '["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,0.000","30,87,0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef,1e+02"]' \
    >"$run/seeds/vpdq/exchange.json"

# Which seed directories feed which target.
seeds_for() {
    case $1 in
        fuzz_policy) echo "policy" ;;
        fuzz_report) echo "report" ;;
        fuzz_vision_model) echo "vision" ;;
        fuzz_exchange_*) echo "${1#fuzz_exchange_}" ;;
        fuzz_package) echo "package" ;;
        fuzz_decode_any) echo "jpeg png webp gif heif bmp" ;;
        fuzz_hex) echo "hex" ;;
        fuzz_vpdq_text) echo "vpdq" ;;
        fuzz_bank_list) echo "list" ;;
        fuzz_text_normalize | fuzz_text_detect) echo "text" ;;
        fuzz_decode_*) echo "${1#fuzz_decode_}" ;;
    esac
}

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target runs alone on each core (CG_FUZZ_JOBS, default the core count): every target still
# gets its SECONDS of wall time on a core of its own, and the smoke run takes 1/jobs as long.
# Results print in the list's order once each target has finished.
fuzz_one() { # target: runs it, writes its report to $run/$t.result, its status to $run/$t.rc
    local t=$1 corpus=$run/corpus/$1 artifacts=$run/artifacts/$1 log=$run/$1.log k
    local dirs=()
    mkdir -p "$corpus" "$artifacts"
    for k in $(seeds_for "$t"); do
        dirs+=("$run/seeds/$k")
    done
    {
        echo "== $t: ${secs}s"
        if "$bin/$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
            -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "${dirs[@]}" \
            >"$log" 2>&1; then
            execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
            cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)
            echo "   ok: ${execs:-?} runs, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) files"
            echo 0 >"$run/$t.rc"
        else
            rc=$?
            echo "   FAILED (exit $rc): $t"
            grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|artifact_prefix|Test unit written)' \
                "$log" | head -n 20 | sed 's/^/   /' || true
            echo "   full log: $log"
            echo "$rc" >"$run/$t.rc"
        fi
    } >"$run/$t.result"
}

fuzz_jobs=${CG_FUZZ_JOBS:-$jobs}
case $fuzz_jobs in
    '' | *[!0-9]* | 0) echo "fuzz-smoke: CG_FUZZ_JOBS must be a positive number" >&2; exit 2 ;;
esac
echo "fuzz-smoke: $(echo $targets | wc -w) targets, ${secs}s each, $fuzz_jobs at a time"
running=0
for t in $targets; do
    rm -f "$run/$t.rc" "$run/$t.result"
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$fuzz_jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

failed=()
for t in $targets; do
    cat "$run/$t.result" 2>/dev/null || echo "== $t: no result (the runner died)"
    rc=$(cat "$run/$t.rc" 2>/dev/null || echo missing)
    [ "$rc" = 0 ] || failed+=("$t")
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz-smoke: FAILED targets: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz-smoke: all targets ran ${secs}s without a crash"
