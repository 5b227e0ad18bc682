#!/bin/sh
# Installs Debian's Chromium for the browser test (test/web), driven by playwright-core with
# executablePath /usr/bin/chromium. About 46 s on these machines; a no-op when it is already there.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update
# Recommended packages included: they bring the fonts (Liberation, DejaVu) the page is rendered with.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
/usr/bin/chromium --version
