#!/bin/sh
# Runs as PID 1's parent inside a lab host's own mount, UTS, PID and network
# namespaces: overlay root over the cached image, /proc, a minimal /dev, the
# host's address on eth0 (moved in from the lab bridge), then sshd via host-init.py.
# Arguments: IMAGE DIR NAME ADDRESS
set -eu
IMAGE=$1 DIR=$2 NAME=$3 ADDR=$4
R=$DIR/root
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=$IMAGE,upperdir=$DIR/upper,workdir=$DIR/work" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs -o ro sysfs "$R/sys" 2>/dev/null || true
mount -t tmpfs -o mode=755,size=16m tmpfs "$R/dev"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read name maj min <<EOT
$n
EOT
  mknod -m 666 "$R/dev/$name" c "$maj" "$min"
done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
mkdir -p "$R/run/sshd" "$R/run/lock"
hostname "$NAME"
ip link set lo up
i=0
until ip link show eth0 >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 400 ] || { echo "no eth0" >&2; exit 1; }; sleep 0.05; done
ip addr add "$ADDR/24" dev eth0
ip link set eth0 up
exec chroot "$R" /usr/bin/python3 /usr/local/sbin/lab-init.py
