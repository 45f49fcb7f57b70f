#!/bin/sh
# Runs inside `docker build` as the last root step of every image (see DESIGN.md §4,
# "Container jobs run as uid 1000 ... no-new-privileges"):
#   - creates the job user cronium (uid/gid 1000, home /home/cronium);
#   - strips every setuid/setgid bit, so nothing in the image can raise privileges even
#     if a job ran without no-new-privileges;
#   - removes package caches, logs and this build kit.
set -eu

# Written by hand rather than with useradd: the minbase rootfs may not carry the passwd
# package, and these four lines are all useradd would do. The password is locked ("*").
if ! grep -q '^[^:]*:[^:]*:1000:' /etc/passwd; then
  echo 'cronium:x:1000:1000:Cronium job user:/home/cronium:/bin/bash' >> /etc/passwd
  echo 'cronium:*:19000:0:99999:7:::' >> /etc/shadow
fi
if ! grep -q '^[^:]*:[^:]*:1000:' /etc/group; then
  echo 'cronium:x:1000:' >> /etc/group
  [ -f /etc/gshadow ] && echo 'cronium:!::' >> /etc/gshadow
fi
mkdir -p /home/cronium
chown 1000:1000 /home/cronium
chmod 0755 /home/cronium

# -xdev: stay on the image's own filesystem (not /proc, /sys or docker's bind mounts).
find / -xdev -perm /6000 -type f -exec chmod a-s {} +

rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /root/.cache
find /var/log -type f -delete
rm -rf /tmp/cronium-build
