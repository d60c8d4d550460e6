#!/usr/bin/env bash
# Run a command with the network cut (loopback only), to prove that it needs nothing
# from outside once the install step is done.  Used by the Makefile for every build
# and test step that runs after installation.
#
# The tool that cuts the network lives beside the repository, at ../shared/tools/offline
# (CI and the authors' machines have it).  Elsewhere, e.g. on a student's laptop, the
# command runs with the network as it is, after a note saying so.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tool="${OFFLINE_TOOL:-$here/../shared/tools/offline}"
if [ -x "$tool" ]; then
  exec "$tool" "$@"
fi
echo "note: $tool not found; running without cutting the network: $*" >&2
exec "$@"
