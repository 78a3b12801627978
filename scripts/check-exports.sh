#!/usr/bin/env bash
# What libchildguard.so exports (docs/api-c.md, "What is exported"): the public API only. Fails
# when an internal name (cg__*: the test hooks and the names shared across the library's files)
# or a name without the cg_ prefix is exported, or when a public function the headers declare
# is missing (cg_version_number stands for them).
# Usage: scripts/check-exports.sh path/to/libchildguard.so
set -u
lib=${1:?usage: check-exports.sh LIBRARY}
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { sub(/@.*/, "", $3); print $3 }' | sort -u)
bad=0
internal=$(printf '%s\n' "$syms" | grep '^cg__' || true)
foreign=$(printf '%s\n' "$syms" | grep -v '^cg_' | grep -v '^CHILDGUARD_' || true)
if [ -n "$internal" ]; then
    echo "check-exports: internal names exported:" $internal
    bad=1
fi
if [ -n "$foreign" ]; then
    echo "check-exports: names without the cg_ prefix exported:" $foreign
    bad=1
fi
for need in cg_version cg_version_number cg_signals_compute cg_engine_scan cg_hex_encode; do
    printf '%s\n' "$syms" | grep -qx "$need" || { echo "check-exports: $need is not exported"; bad=1; }
done
n=$(printf '%s\n' "$syms" | grep -c '^cg_')
[ $bad -eq 0 ] && echo "check-exports: $n public names, no internal one"
exit $bad
