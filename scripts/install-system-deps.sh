#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when they are missing.
set -euo pipefail
needed=()
[ -x /usr/bin/chromium ] || needed+=(chromium)
# The grading sandbox (bubblewrap; setpriv comes with util-linux).
command -v bwrap >/dev/null || needed+=(bubblewrap)
# A real PostgreSQL server for the gradebook tests (started by the tests on localhost).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || needed+=(postgresql)
# The course-hub test: JupyterHub's proxy runs on Node.js; it makes users (useradd, chpasswd),
# runs commands as them (runuser) and checks their processes (ps); PAM comes with the base system.
command -v node >/dev/null || needed+=(nodejs)
command -v useradd >/dev/null || needed+=(passwd)
command -v runuser >/dev/null || needed+=(util-linux)
command -v ps >/dev/null || needed+=(procps)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${needed[*]}. Install them with: sudo apt-get install -y ${needed[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${needed[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${needed[@]}" >/dev/null
