#!/usr/bin/env bash
# Installs the Debian 12 packages that childguard needs to build, test and run its demo, and
# the npm packages of package.json (nsfwjs's model and TensorFlow.js, the vision layer's
# reference: docs/vision.md; playwright-core and axe-core, the web pages' browser tests, and
# spark-md5, the self-hashing page's MD5: docs/web.md) with `npm ci`. emscripten builds the
# self-hashing page's WebAssembly and chromium runs the browser tests (docs/web.md). libnats-dev and
# nats-server: the queue workers and their tests (docs/queue.md); sqlite3: those tests read the store.
# Idempotent: only packages that are missing are installed. Needs root (or sudo) for apt-get.
#
#   scripts/install-deps.sh             what `make demo` and `make test` need
#   scripts/install-deps.sh --bench     also scikit-learn, the text trainer's baseline (`make bench`),
#                                       and perf (profiles in bench/RESULTS.md)
#   scripts/install-deps.sh vision-fp   also every Debian wallpaper package, the neutral images
#                                       of the nudity model's false-positive table
set -euo pipefail

PKGS=(
    build-essential cmake pkg-config git
    libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev libheif-dev libstb-dev libexif-dev
    libssl-dev libjansson-dev libsqlite3-dev libutf8proc-dev libvectorscan-dev libxml2-dev
    libpq-dev postgresql-15
    clang libclang-rt-14-dev python3 python3-jsonschema
    libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
    libmicrohttpd-dev libcurl4-openssl-dev wrk curl minisign
    desktop-base imagemagick
    python3-skimage
    emscripten chromium
    libnats-dev nats-server sqlite3
)
# `install-deps.sh --bench`: also what the benchmarks compare against (not needed to build or
# test): scikit-learn for bench/text_trainer_bench.py; perf (linux-perf) for profiling the
# PostgreSQL server during an import (bench/RESULTS.md "Import levers, part 2").
if [ "${1:-}" = "--bench" ]; then
    PKGS+=(python3-sklearn linux-perf)
fi
# Node.js and npm run the vision layer's reference (tfjs) and its converter. A Node.js from
# elsewhere (NodeSource bundles npm and conflicts with Debian's npm) is used as it is.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    PKGS+=(nodejs npm)
fi
if [ "${1:-}" = "vision-fp" ]; then
    PKGS+=(gnome-backgrounds mate-backgrounds sway-backgrounds plasma-workspace-wallpapers
           ukui-wallpapers lomiri-wallpapers)
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# npm packages (package-lock.json pins them): installed again when the lock file changed.
npm_deps() {
    if [ ! -f "$root/node_modules/.package-lock.json" ] ||
        [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
        echo "install-deps: npm ci (nsfwjs, @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm, playwright-core, axe-core, spark-md5)" >&2
        (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    vision_model
}

# The nudity classifier's model file is converted from the npm package (0.3 s, deterministic)
# rather than kept in git; its SHA-256 is kept beside the licence, so a changed package or
# converter is an error here, not a silently different model (docs/vision.md).
vision_model() {
    local model="$root/data/vision/nsfw_mobilenet_v2.cgvm"
    local want
    want=$(cut -d' ' -f1 "$root/data/vision/nsfw_mobilenet_v2.cgvm.sha256")
    if [ -f "$model" ] && [ "$(sha256sum "$model" | cut -d' ' -f1)" = "$want" ]; then
        return 0
    fi
    echo "install-deps: converting nsfwjs's model into $model" >&2
    node "$root/tools/vision/convert-nsfwjs.mjs" "$model.tmp" >/dev/null
    if [ "$(sha256sum "$model.tmp" | cut -d' ' -f1)" != "$want" ]; then
        echo "install-deps: $model.tmp: SHA-256 differs from data/vision/nsfw_mobilenet_v2.cgvm.sha256 (a different nsfwjs package or converter?)" >&2
        rm -f "$model.tmp"
        exit 2
    fi
    mv "$model.tmp" "$model"
}

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    npm_deps
    exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
npm_deps
