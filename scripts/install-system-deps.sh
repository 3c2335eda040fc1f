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
# The printed book (make pdf): Sphinx's LaTeX builder with XeLaTeX, latexmk, GNU FreeFont and DejaVu,
# without recommends (~85 MB to download instead of ~200 MB), and pdftotext for its test.
tex=()
command -v xelatex >/dev/null && command -v latexmk >/dev/null && kpsewhich fncychap.sty >/dev/null \
  && [ -n "$(fc-list FreeSerif)" ] && [ -n "$(fc-list 'DejaVu Sans Mono')" ] \
  || tex=(texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended latexmk fonts-freefont-otf fonts-dejavu-core)
command -v pdftotext >/dev/null || needed+=(poppler-utils)
[ ${#needed[@]} -eq 0 ] && [ ${#tex[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${needed[*]} ${tex[*]}. Install them with: sudo apt-get install -y ${needed[*]} ${tex[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${needed[*]} ${tex[*]}"
apt-get update -qq
[ ${#needed[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${needed[@]}" >/dev/null
[ ${#tex[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tex[@]}" >/dev/null
