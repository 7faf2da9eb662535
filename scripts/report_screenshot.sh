#!/usr/bin/env bash
# Screenshots a run's HTML report in headless Chromium (Debian's `chromium`) at 1280x900, the
# first screen a reader sees, and checks that the summary figure (the model comparison: the
# recommended candidate's red dot and bar) is on it, above the tables.
#
#   bash scripts/report_screenshot.sh [RUN_DIR]   # default: a fresh run on iris
#
# CONSORT_BIN names a built `consort` to run (default: `cargo run -p consort-cli`).
#
# Writes target/report-screenshot.png. Needs `chromium` (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install chromium)" >&2
  exit 1
fi
run_dir=${1:-}
if [ -z "$run_dir" ]; then
  out=target/screenshot-runs
  rm -rf "$out"
  if [ -n "${CONSORT_BIN:-}" ]; then
    "$CONSORT_BIN" run --dataset iris --folds 3 --epochs 10 -q --out "$out" >/dev/null
  else
    cargo run -q -p consort-cli -- run --dataset iris --folds 3 --epochs 10 -q --out "$out" >/dev/null
  fi
  run_dir=$(ls -d "$out"/*/ | head -1)
fi
png=target/report-screenshot.png
"$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1280,900 \
  --screenshot="$png" "file://$(realpath "$run_dir")/report.html" 2>/dev/null
python3 - "$png" <<'PY'
import struct, sys, zlib

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), "8-bit RGB(A) expected"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], None
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, cur = line[0], bytearray(line[1:])
        up = prev or bytearray(stride)
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b, c = up[i], up[i - channels] if i >= channels else 0
            if kind == 1: cur[i] = (cur[i] + a) & 255
            elif kind == 2: cur[i] = (cur[i] + b) & 255
            elif kind == 3: cur[i] = (cur[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur))
        prev = cur
    return width, height, channels, rows

width, height, channels, rows = pixels(sys.argv[1])
def count(rgb, tolerance=12):
    n = 0
    for row in rows:
        for x in range(0, len(row), channels):
            if all(abs(row[x + k] - rgb[k]) <= tolerance for k in range(3)):
                n += 1
    return n
red, blue = count((214, 39, 40)), count((31, 119, 180))
print(f"screenshot {width}x{height}: {red} pixels of the recommended candidate's red, {blue} of the others' blue")
if red < 20 or blue < 20:
    sys.exit("the model comparison is not on the first screen of the report")
print("the summary figure is above the fold")
PY
echo "screenshot: $png"
