#!/bin/sh
# What the tests need from Debian: chromium for the browser tests (browser downloads do not
# work here), poppler-utils (pdftoppm) to render the PDF report's pages, and postgresql for
# the state-store tests (tests/pg_server.py starts a throwaway server of its own on loopback;
# the cluster the package may start is not used), nginx for docs/deploy.md's proxy
# (tests/state/test_deploy.py runs its configuration on loopback ports), and faketime for a
# server whose clock runs ahead (tests/state/test_outage.py).
set -e
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils postgresql nginx faketime \
  >/dev/null
