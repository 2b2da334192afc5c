#!/usr/bin/env bash
# Test-only system packages: Debian's Chromium for the browser tests (Playwright cannot
# download its own browser here). Skipped when already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/install-test-deps.sh: chromium is missing; run: sudo apt-get install -y chromium" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
