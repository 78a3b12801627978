#!/usr/bin/env bash
# `make install` into a temporary prefix, then a separate project finds the library with CMake's
# find_package (shared and static targets) and with pkg-config, builds and runs against it.
set -u
CG=$1
ROOT=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; tail -20 "$tmp/log"; fi; }
build=$(dirname "$(dirname "$CG")")
# A sanitizer build's library needs the sanitizer runtime in every consumer: the release build
# runs this test.
if grep -Eq '^CG_SANITIZE:STRING=.+' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "SKIPPED: sanitizer build (the release build installs and consumes the package)"
    exit 77
fi
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/log" 2>&1
check "cmake --install into a prefix" "[ -f $tmp/prefix/include/childguard.h ] && [ -f $tmp/prefix/lib/cmake/childguard/childguardConfig.cmake -o -f $tmp/prefix/lib64/cmake/childguard/childguardConfig.cmake -o -n \"\$(ls $tmp/prefix/lib/*/cmake/childguard/childguardConfig.cmake 2>/dev/null)\" ]"
check "data files installed" "[ -n \"\$(ls $tmp/prefix/share/childguard/lexicons/*.tsv 2>/dev/null)\" ]"
cmake -S "$ROOT/tests/install" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/log" 2>&1 &&
    cmake --build "$tmp/consumer" >>"$tmp/log" 2>&1
check "find_package(childguard) builds a consumer (shared and static)" "[ -x $tmp/consumer/consumer_shared ] && [ -x $tmp/consumer/consumer_static ]"
libdir=$(dirname "$(find "$tmp/prefix" -name 'libchildguard.so*' | head -1)")
check "the shared consumer runs" "LD_LIBRARY_PATH=$libdir $tmp/consumer/consumer_shared | grep -q '^childguard '"
check "the static consumer runs" "$tmp/consumer/consumer_static | grep -q '^childguard '"
pc=$(dirname "$(find "$tmp/prefix" -name childguard.pc | head -1)")
cflags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags childguard 2>>"$tmp/log")
libs=$(PKG_CONFIG_PATH=$pc pkg-config --libs childguard 2>>"$tmp/log")
cc $cflags "$ROOT/tests/install/consumer.c" -o "$tmp/pc_consumer" $libs >>"$tmp/log" 2>&1
check "pkg-config childguard builds a consumer" "LD_LIBRARY_PATH=$libdir $tmp/pc_consumer | grep -q '^childguard '"
exit $fail
