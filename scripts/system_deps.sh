#!/usr/bin/env bash
# Make sure the Debian packages named on the command line are installed.
# Missing ones are installed with apt-get when running as root; otherwise the script
# stops and prints the exact command to run.  `make html` never calls this: only the
# PDF build and the full test command need system packages.
set -euo pipefail
if [ $# -eq 0 ]; then
  echo "usage: $0 PACKAGE..." >&2
  exit 2
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "error: this step needs these Debian/Ubuntu packages (or your system's equivalents): $*" >&2
  exit 1
fi
missing=()
for pkg in "$@"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing missing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "error: missing system packages: ${missing[*]}" >&2
  echo "Install them with:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi
