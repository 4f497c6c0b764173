#!/usr/bin/env bash
# Draws the etl-stream icon (a PostgreSQL cylinder streaming into a snowflake) with ImageMagick 6 and writes
# every size the console and the installers use. Run it again only to change the design; its outputs are committed:
#   ui-resources/.../icons/etl-stream-{16,32,48,64,128,256}.png   window icons, and the Linux installer icon
#   installers/src/jpackage/windows/etl-stream.ico                 .msi / .exe icon (16-256 px)
#   installers/src/jpackage/mac/etl-stream.icns                    .dmg / .app icon (PNG-based ic07-ic10 entries)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
png_dir="$root/ui-resources/src/main/resources/io/etlstream/ui/icons"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$png_dir" "$root/installers/src/jpackage/windows" "$root/installers/src/jpackage/mac"

# Drawn at 256 px (the largest size Linux and Windows use) and scaled up once for the macOS 512/1024 entries.
convert -size 256x256 xc:none \
    -fill '#0e4a6e' -draw 'roundrectangle 8,8 247,247 44,44' \
    -fill white -stroke none \
    -draw 'ellipse 66,92 38,13 0,360' -draw 'rectangle 28,92 104,168' -draw 'ellipse 66,168 38,13 0,360' \
    -fill '#1f6f9c' -draw 'ellipse 66,92 30,8 0,360' \
    -fill none -stroke '#0e4a6e' -strokewidth 3 -draw 'ellipse 66,120 38,13 0,180' -draw 'ellipse 66,144 38,13 0,180' \
    -stroke '#7fd4ff' -strokewidth 10 -draw 'line 112,128 150,128' \
    -stroke none -fill '#7fd4ff' -draw 'polygon 148,112 168,128 148,144' \
    -stroke white -strokewidth 7 -draw 'line 208,92 208,164' -draw 'line 177,110 239,146' -draw 'line 177,146 239,110' \
    -strokewidth 5 -draw 'line 200,98 208,106' -draw 'line 216,98 208,106' \
    -draw 'line 200,158 208,150' -draw 'line 216,158 208,150' \
    "$tmp/master.png"

for s in 16 32 48 64 128 256; do
    convert "$tmp/master.png" -resize "${s}x${s}" -strip "PNG32:$png_dir/etl-stream-$s.png"
done
for s in 512 1024; do
    convert "$tmp/master.png" -resize "${s}x${s}" -strip "PNG32:$tmp/etl-stream-$s.png"
done

convert "$png_dir/etl-stream-16.png" "$png_dir/etl-stream-32.png" "$png_dir/etl-stream-48.png" \
    "$png_dir/etl-stream-64.png" "$png_dir/etl-stream-128.png" "$png_dir/etl-stream-256.png" \
    "$root/installers/src/jpackage/windows/etl-stream.ico"

# ICNS: 'icns' + total length, then entries of 4-byte type + length (header included) + PNG data.
icns="$root/installers/src/jpackage/mac/etl-stream.icns"
be32() { printf '%08x' "$1" | xxd -r -p; }
entries=("ic07:$png_dir/etl-stream-128.png" "ic08:$png_dir/etl-stream-256.png"
         "ic09:$tmp/etl-stream-512.png" "ic10:$tmp/etl-stream-1024.png")
total=8
for e in "${entries[@]}"; do total=$((total + 8 + $(stat -c %s "${e#*:}"))); done
{
    printf 'icns'; be32 "$total"
    for e in "${entries[@]}"; do
        printf '%s' "${e%%:*}"; be32 $((8 + $(stat -c %s "${e#*:}"))); cat "${e#*:}"
    done
} >"$icns"
echo "icons written under $png_dir and $root/installers/src/jpackage"
