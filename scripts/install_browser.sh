#!/usr/bin/env bash
# Headless Chromium and its driver from the Debian packages, for the explorer's browser tests
# (tests/explore). Does nothing when both are installed; needs root (or sudo) otherwise.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
as_root=""; [ "$(id -u)" -eq 0 ] || as_root="sudo"
$as_root apt-get install -y -qq chromium chromium-driver \
    || { $as_root apt-get update -qq && $as_root apt-get install -y -qq chromium chromium-driver; }
