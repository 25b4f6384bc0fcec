#!/bin/sh
# What the tests need from Debian: chromium for the browser tests (browser downloads do not
# work here) and poppler-utils (pdftoppm) to render the PDF report's pages.
set -e
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils >/dev/null
