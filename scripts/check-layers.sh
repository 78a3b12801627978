#!/usr/bin/env bash
# The layering check (docs/architecture.md, "Layers"), run by CTest as `layers` and so by CI:
# reads every #include line of src/, include/childguard/ and programs/ and fails when
#   - a module includes a module of a higher layer, or another module of its own layer:
#       common ← media ← hash, index, text, vision, audit ← store ← policy,
#       review ← match, report, exchange ← engine ← programs
#     (audit, the hash-chained log, needs only common: every layer above may append to it);
#     (a public header include/childguard/X.h counts as part of its module, below);
#   - a file of programs/ includes anything of the library but include/childguard*.h (its own
#     headers and system headers are fine);
#   - the library (src/, include/) includes network code (sockets, libcurl, libmicrohttpd,
#     libnats): the network lives in programs/, the library takes transport callbacks.
# Known violations that other work removes are listed in ALLOWED below, each with the reason;
# an allowed line that no longer occurs is reported, so the list only shrinks.
# Usage: scripts/check-layers.sh [SOURCE_ROOT]   exit 0 clean, 1 violations, 2 usage.
set -u
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
[ -d "$root/src" ] && [ -d "$root/include/childguard" ] || {
    echo "check-layers: $root is not the childguard source tree" >&2
    exit 2
}
cd "$root" || exit 2

# "file: included" pairs known to break the rules, to be removed by the work named.
ALLOWED=(
    # (none: the list only shrinks; add a line here only with the issue that removes it)
)


# Every file of the library and the programs, and their quoted and network includes, read once;
# the rules are applied by one awk program (no process per include: the check takes a second).
files=$(find src include/childguard programs -name '*.[ch]' | sort)
allowed=$(printf '%s\n' "${ALLOWED[@]}")
# shellcheck disable=SC2086
grep -H -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*("|<(curl/|microhttpd\.h|nats/|sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h))' $files |
awk -v files="$files" -v allowed="$allowed" '
function level(m) {
    if (m == "common") return 0
    if (m == "media") return 1
    if (m == "hash" || m == "index" || m == "text" || m == "vision" || m == "audit") return 2
    if (m == "bank" || m == "store") return 3
    if (m == "policy" || m == "review") return 4
    if (m == "match" || m == "report" || m == "exchange") return 5
    if (m == "engine") return 6
    if (m == "programs") return 7
    return -1
}
function public_module(h) {
    sub(/\.h$/, "", h)
    if (h ~ /^(export|status|hex|timestamp|pool|content|harm)$/) return "common"
    if (h ~ /^(image|video)$/) return "media"
    if (h ~ /^(pdq|digest|signal|vpdq)$/) return "hash"
    if (h == "index") return "index"
    if (h ~ /^(text|textmodel)$/) return "text"
    if (h == "vision") return "vision"
    if (h ~ /^(bank|tenant|keys|outbox|vpdq_bank|jobs|review_item|exchange_store|exchange_feedback)$/) return "store"
    if (h ~ /^(policy|audit|review|report)$/) return h
    if (h == "guidance") return "policy"
    if (h == "matcher") return "match"
    if (h ~ /^(exchange|package)$/) return "exchange"
    if (h ~ /^(engine|signals|childguard)$/) return "engine"
    return ""
}
function dirname(f) { sub(/\/[^\/]*$/, "", f); return f }
function module_of_file(f,   m) {
    if (f ~ /^programs\//) return "programs"
    if (f ~ /^include\/childguard\//) { m = f; sub(/.*\//, "", m); return public_module(m) }
    m = f; sub(/^src\//, "", m); sub(/\/.*/, "", m); return m
}
# The module an include names: "." for a header beside the file, "?" for none of this tree.
function module_of_include(f, inc,   d, m) {
    if (inc == "childguard.h") return "engine"
    if (inc ~ /^childguard\//) { m = inc; sub(/^childguard\//, "", m); return public_module(m) }
    d = dirname(f)
    if (d == "include/childguard" && (("include/childguard/" inc) in exists)) return public_module(inc)
    if ((d "/" inc) in exists) return "."
    if (("src/" inc) in exists) { m = inc; sub(/\/.*/, "", m); return m }
    return "?"
}
function fail(f, inc, why,   key) {
    key = f ": " inc
    if (key in allow) { used[key] = 1; return }
    printf "check-layers: %s includes \"%s\": %s\n", f, inc, why
    bad++
}
BEGIN {
    n = split(files, fl, "\n"); for (i = 1; i <= n; i++) exists[fl[i]] = 1
    n = split(allowed, al, "\n"); for (i = 1; i <= n; i++) if (al[i] != "") allow[al[i]] = 1
}
{
    f = $0; sub(/:.*/, "", f)
    line = substr($0, length(f) + 2)
    mod = module_of_file(f); lv = level(mod)
    if (lv < 0) { printf "check-layers: %s: module %s has no layer\n", f, mod; bad++; next }
    if (line ~ /include[[:space:]]*</) {
        inc = line; sub(/.*</, "", inc); sub(/>.*/, "", inc)
        if (mod != "programs") fail(f, "<" inc ">", "no network code in the library (it belongs in programs/)")
        next
    }
    inc = line; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
    im = module_of_include(f, inc)
    if (mod == "programs") {
        if (im != "." && im != "?" && inc != "childguard.h" && inc !~ /^childguard\//)
            fail(f, inc, "programs/ use only include/childguard/*.h")
        next
    }
    if (im == "." || im == mod) next
    if (im == "?") { fail(f, inc, "not a header of this tree"); next }
    if (im == "") { fail(f, inc, "a public header with no layer (add it to public_module)"); next }
    il = level(im)
    if (il > lv) fail(f, inc, mod " (layer " lv ") must not include " im " (layer " il ")")
    else if (il == lv) fail(f, inc, mod " and " im " are on the same layer: neither includes the other")
    else if (mod == "policy" && im == "text") fail(f, inc, "the policy must not depend on a detector (guidance and audiences belong to the policy)")
}
END {
    for (k in allow) if (!(k in used)) {
        printf "check-layers: allowed \"%s\" no longer occurs: remove it from ALLOWED\n", k; bad++
    }
    if (bad > 0) { printf "check-layers: %d problem(s)\n", bad; exit 1 }
    print "check-layers: every #include goes down the layers"
}'
