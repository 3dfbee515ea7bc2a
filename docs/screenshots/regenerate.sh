#!/usr/bin/env bash
# Regenerates the screenshots of docs/screenshots/ from the browser tests: headless
# Chromium (Debian's chromium and chromium-driver) on an emulated 390 px phone.
# Run from anywhere: bash docs/screenshots/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing Debian's chromium and chromium-driver"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
PORT=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
chromedriver --port="$PORT" >/dev/null 2>&1 &
DRIVER=$!
trap 'kill $DRIVER 2>/dev/null || true' EXIT
for _ in $(seq 1 30); do curl -fsS "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break; sleep 0.5; done
LIEN_TEST_WEBDRIVER="http://127.0.0.1:$PORT" LIEN_SCREENSHOTS_DIR="$PWD/docs/screenshots" \
  cargo test --test api browser -- --test-threads=1
ls -l docs/screenshots/*.png
