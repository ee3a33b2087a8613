#!/usr/bin/env bash
# Install everything mxgui needs on Debian 12 (Python 3.11): the system libraries Qt
# needs, Xvfb for the headless tests, MariaDB, OpenLDAP's slapd and Redis (the tests start
# private servers, slapd with certificates made by openssl; none runs as a service), and a virtual environment in .venv holding mxgui
# (editable) with its test tools. Safe to run again: it only installs what is missing.
# Both README commands start with this script, so running and testing cannot drift.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-pip
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0
  libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-image0
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1
  libxcb-cursor0 libxrender1 libxi6 libsm6 libice6 fonts-dejavu-core
  xvfb xauth procps
  mariadb-server
  slapd openssl
  redis-server
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
echo "setup: installing mxgui, its Tango/EPICS support, its distributed engine and its test tools into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,controls,distributed]'
echo "setup: done (.venv/bin/mxgui starts the simulated beamline)"
