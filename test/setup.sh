#!/usr/bin/env bash
# Installs the Debian packages the test suite and the lab need, when they are missing.
#   ansible-core     the reference the module tests compare against (ansible-playbook, ansible-inventory)
#   util-linux       script (a pseudo-terminal for the live view), unshare and nsenter (the lab)
#   iproute2         ip: the lab's network namespaces, bridge and veths
#   openssh-client   ssh, which ansible-playbook uses to reach the lab hosts
#   debootstrap      builds the lab's Debian image (test/lab/image.sh installs it too)
#   dpkg-dev, apt-utils, gnupg  build and sign the stand-in Jitsi packages' apt repository
#   ansible          ansible-playbook with the community.general collection (ufw), for add-bridge.yml
#   ruby-hocon       the HOCON reader of the real Jitsi packages: the hocon module is checked against it
#   time             GNU time: the scale benchmark's peak RSS
set -euo pipefail

need=()
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible-core)
# community.general (ufw) for running add-bridge.yml under ansible-playbook: Debian's "ansible" package.
[ -d /usr/lib/python3/dist-packages/ansible_collections/community/general ] || need+=(ansible)
command -v dpkg-scanpackages >/dev/null 2>&1 || need+=(dpkg-dev)
command -v apt-ftparchive >/dev/null 2>&1 || need+=(apt-utils)
command -v gpg >/dev/null 2>&1 || need+=(gnupg)
command -v script >/dev/null 2>&1 || need+=(util-linux)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v hocon >/dev/null 2>&1 || need+=(ruby-hocon)
[ -x /usr/bin/time ] || need+=(time)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test/setup.sh: missing ${need[*]}; install them (apt-get install ${need[*]}) or run the tests as root" >&2
    exit 1
  fi
  echo "test/setup.sh: installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi
