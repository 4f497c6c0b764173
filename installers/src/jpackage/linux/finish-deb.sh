#!/usr/bin/env bash
# Adds the menu entry and the icon to the .deb jpackage just wrote, as files the package owns (dpkg -S finds them,
# dpkg -r removes them, desktop-file-utils' and the hicolor theme's dpkg triggers refresh their caches):
#   /usr/share/applications/etl-stream.desktop           from payload/ next to this script
#   /usr/share/icons/hicolor/<n>x<n>/apps/etl-stream.png  the console's window icons from ui-resources
#   /usr/share/doc/etl-stream/copyright                   jpackage's /opt/etl-stream/share/doc/copyright, where
#                                                         Debian policy looks for it
# and DEBIAN/md5sums, so that dpkg -V etl-stream can check the installed files.
# jpackage writes the .deb uncompressed (DPKG_DEB_COMPRESSOR_TYPE=none in the pom), so it is compressed once, here.
# Usage: finish-deb.sh <folder holding the one .deb> <folder of etl-stream-<n>.png> <compressor: gzip|xz|none>
set -euo pipefail
out="$1" icons="$2" compression="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
debs=("$out"/*.deb)
if [ "${#debs[@]}" -ne 1 ] || [ ! -f "${debs[0]}" ]; then
    echo "finish-deb.sh: expected exactly one .deb in $out, found: ${debs[*]}" >&2
    exit 1
fi
deb="${debs[0]}"
work="$(mktemp -d "$out/finish-deb.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# One fakeroot session: the files keep root:root from unpacking to packing, also when the build is not root.
fakeroot -- bash -euo pipefail -c '
    deb="$1" work="$2" payload="$3" icons="$4" compression="$5"
    dpkg-deb --raw-extract "$deb" "$work/pkg"
    added=0
    add() { # add <source> <path in the package>
        install -D -m 0644 "$1" "$work/pkg/$2"
        added=$((added + ($(stat -c %s "$1") + 1023) / 1024))
    }
    add "$payload/usr/share/applications/etl-stream.desktop" usr/share/applications/etl-stream.desktop
    for n in 16 32 48 64 128 256; do
        add "$icons/etl-stream-$n.png" "usr/share/icons/hicolor/${n}x${n}/apps/etl-stream.png"
    done
    add "$work/pkg/opt/etl-stream/share/doc/copyright" usr/share/doc/etl-stream/copyright
    find "$work/pkg/usr" -type d -exec chmod 0755 {} +
    (cd "$work/pkg" && find . -path ./DEBIAN -prune -o -type f -printf "%P\0" | LC_ALL=C sort -z \
        | xargs -0 md5sum >DEBIAN/md5sums)
    chmod 0644 "$work/pkg/DEBIAN/md5sums"
    size=$(sed -n "s/^Installed-Size: *//p" "$work/pkg/DEBIAN/control")
    sed -i "s/^Installed-Size: .*/Installed-Size: $((size + added))/" "$work/pkg/DEBIAN/control"
    dpkg-deb -Z"$compression" --build "$work/pkg" "$work/out.deb" >/dev/null
' finish-deb "$deb" "$work" "$here/payload" "$icons" "$compression"
mv -f "$work/out.deb" "$deb"
echo "finish-deb.sh: added the menu entry, icons, copyright and md5sums to $deb ($compression)"
