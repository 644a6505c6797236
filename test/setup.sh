#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, when they are missing.
# ansible-core: the reference the module tests compare against (ansible-playbook, ansible-inventory).
# script (util-linux): runs the CLI in a pseudo-terminal to test the live view.
set -euo pipefail

need=()
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible-core)
command -v script >/dev/null 2>&1 || need+=(util-linux)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test/setup.sh: missing ${need[*]}; install them (apt-get install ${need[*]}) or run the tests as root" >&2
    exit 1
  fi
  echo "test/setup.sh: installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
