#!/bin/sh
# Build the lab image once (skipped when the tag exists).
#   default: offline from Debian's packages with debootstrap (no registry needed);
#   SYMROUTE_LAB_BUILD=containerfile: `podman build` from Containerfile (needs a registry).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lab-image.env"

if podman image exists "$SYMROUTE_LAB_IMAGE"; then
    echo "symroute: lab image $SYMROUTE_LAB_IMAGE exists"
    exit 0
fi

if [ "${SYMROUTE_LAB_BUILD:-debootstrap}" = containerfile ]; then
    podman build --build-arg PACKAGES="$SYMROUTE_LAB_PACKAGES" --build-arg DAEMONS="$SYMROUTE_LAB_DAEMONS" \
        --build-arg DAEMON_UNITS="$SYMROUTE_LAB_DAEMON_UNITS" --build-arg MASKED_UNITS="$SYMROUTE_LAB_MASKED_UNITS" -t "$SYMROUTE_LAB_IMAGE" -f "$here/Containerfile" "$here"
    exit 0
fi

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
mirror="$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*debian\/\{0,1\}\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)"
if [ -z "$mirror" ]; then
    mirror="$(awk '$1 == "deb" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)"
fi
mirror="${SYMROUTE_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}"

root="$(mktemp -d /var/tmp/symroute-lab-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "symroute: building $SYMROUTE_LAB_IMAGE with debootstrap from $mirror"
debootstrap --variant=minbase --include="$SYMROUTE_LAB_PACKAGES" bookworm "$root" "$mirror" >/dev/null
# Second stage: the daemons, installed with apt inside the new root (no service starts:
# policy-rc.d refuses), then their units disabled so that each test starts its own.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$root"' EXIT
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" apt-get -q update >/dev/null
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    $(echo "$SYMROUTE_LAB_DAEMONS" | tr , ' ') >/dev/null
chroot "$root" systemctl disable $SYMROUTE_LAB_DAEMON_UNITS >/dev/null 2>&1 || true
chroot "$root" systemctl mask $SYMROUTE_LAB_MASKED_UNITS >/dev/null
umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
tar -C "$root" -c . | podman import --change 'CMD ["sleep", "infinity"]' - "$SYMROUTE_LAB_IMAGE" >/dev/null
echo "symroute: lab image $SYMROUTE_LAB_IMAGE built"
