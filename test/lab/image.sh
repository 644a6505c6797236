#!/usr/bin/env bash
# Builds (once) the cached Debian bookworm root filesystem the lab hosts boot from.
#   test/lab/image.sh            prints the path of the ready image, building it if needed
# The mirror is read from this machine's apt sources. Package scripts run with
# no network (their own network namespace) and no service starts (policy-rc.d),
# so nothing of the image ever touches the machine's own network.
set -euo pipefail

SUITE=bookworm
# What the lab hosts need: sshd and sudo for the transport, python3 for ansible-playbook,
# prosody and nginx for the Jitsi main server, debconf-utils/gnupg/curl/ufw for add-bridge,
# ruby-hocon (the real jitsi-videobridge2 depends on it; the stand-ins read jvb.conf with it).
PACKAGES=(openssh-server sudo python3 python3-apt iproute2 procps iputils-ping less prosody lua-sec lua-socket lua-expat lua-filesystem lua-bitop lua-unbound nginx-light debconf-utils gnupg ca-certificates curl ufw apt-transport-https ruby-hocon)
CACHE="${JITSI_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-fleet}"
KEY=$(printf '%s\n' "$SUITE" "${PACKAGES[@]}" "v4" | sha256sum | cut -c1-12)
IMAGE="$CACHE/rootfs-$SUITE-$KEY"

if [ -f "$IMAGE/.complete" ]; then echo "$IMAGE"; exit 0; fi
[ "$(id -u)" -eq 0 ] || { echo "image.sh: building the lab image needs root (debootstrap, chroot)" >&2; exit 2; }

mirror() {
  local m=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || { echo "image.sh: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 2; }
  echo "$m"
}

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

MIRROR=$(mirror)
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'if [ -n "${KEEP_BUILD:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi' EXIT
echo "image.sh: debootstrap $SUITE (first stage) from the machine's mirror into $WORK" >&2
include=$(IFS=,; echo "${PACKAGES[*]}")
debootstrap --foreign --variant=minbase --include="$include" "$SUITE" "$WORK/rootfs" "$MIRROR" >&2

# Second stage: package scripts run chrooted, with no network and no services started.
printf '#!/bin/sh\nexit 101\n' > "$WORK/rootfs/usr/sbin/policy-rc.d"
chmod +x "$WORK/rootfs/usr/sbin/policy-rc.d"
echo "image.sh: second stage (offline, in namespaces of its own)" >&2
unshare --net --pid --fork --mount --uts -- sh -c "
  mount -t proc proc '$WORK/rootfs/proc'
  chroot '$WORK/rootfs' /debootstrap/debootstrap --second-stage
" >&2

R="$WORK/rootfs"
rm -f "$R"/etc/ssh/ssh_host_*            # each host gets its own keys at start
printf 'PermitRootLogin prohibit-password\nUseDNS no\nPasswordAuthentication yes\nMaxStartups 100:30:200\nHostKey /etc/ssh/ssh_host_ed25519_key\n' > "$R/etc/ssh/sshd_config.d/lab.conf"
mkdir -p "$R/run/sshd" "$R/root/.ssh"
chmod 700 "$R/root/.ssh"
# Lab hosts have no route out: apt sources name only lab repositories (added by tests).
rm -f "$R/etc/apt/sources.list"; : > "$R/etc/apt/sources.list"
rm -rf "$R/var/lib/apt/lists/"* "$R/var/cache/apt/archives/"*.deb
echo "lab" > "$R/etc/hostname"
# A non-root user whose sudo asks for a password: the become tests log in as it.
chroot "$R" useradd -m -s /bin/bash -u 1000 deploy
echo 'deploy:Lab-Sudo-Pass-7391' | chroot "$R" chpasswd
echo 'deploy ALL=(ALL:ALL) ALL' > "$R/etc/sudoers.d/deploy"
chmod 440 "$R/etc/sudoers.d/deploy"
touch "$R/.complete"
mv "$R" "$IMAGE.tmp.$$" && mv "$IMAGE.tmp.$$" "$IMAGE"
echo "$IMAGE"
