#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, when they are missing and we may install.
set -euo pipefail
packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)  # checks docker-compose.yml
command -v npm >/dev/null 2>&1 || packages+=(npm)  # Comunica for the federation tests
command -v setpriv >/dev/null 2>&1 || packages+=(util-linux)  # drops CAP_SYS_NICE in the priority test
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "system-deps: missing ${packages[*]} and not root: UI tests will be skipped" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
