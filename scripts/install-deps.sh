#!/usr/bin/env bash
# Installs the Debian 12 packages that childguard needs to build, test and run its demo.
# Idempotent: only packages that are missing are installed. Needs root (or sudo) for apt-get.
set -euo pipefail

PKGS=(
    build-essential cmake pkg-config git
    libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev libheif-dev libstb-dev libexif-dev
    libssl-dev libjansson-dev libsqlite3-dev libutf8proc-dev libvectorscan-dev libxml2-dev
    clang libclang-rt-14-dev python3 python3-jsonschema
    libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
    libmicrohttpd-dev libcurl4-openssl-dev wrk curl
    desktop-base imagemagick
)
# `install-deps.sh --bench`: also what the benchmarks compare against (not needed to build or
# test): scikit-learn for bench/text_trainer_bench.py.
if [ "${1:-}" = "--bench" ]; then
    PKGS+=(python3-sklearn)
fi

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
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
