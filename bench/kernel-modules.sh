#!/usr/bin/env bash
# Fetch the kernel packages the ORC tests compare against, into $PERF_ORC_KMOD_DIR
# (default /tmp/perf-orc-kmod). Idempotent: a step whose marker exists is skipped.
#
#   kbuild-6.1/   linux-kbuild-6.1            objtool 6.1 (`--dump=orc`, pre-6.3 dump dialect)
#   image-6.1/    linux-image-6.1.0-N-cloud-amd64-unsigned   ~1100 uncompressed .ko (v4.14 layout)
#   kbuild-6.12/  linux-kbuild-6.12.X+deb12   objtool 6.12 (v6.4+ dialect; needs SRCARCH=x86)
#   image-6.12/   linux-image-6.12.X+deb12-cloud-amd64-unsigned  .ko.xz with .orc_header
#   vmlinux-6.1, vmlinux-6.12   the ELF vmlinux inside each package's bzImage (LZ4 / zstd payload),
#                 stripped but with .orc_unwind*: the vmlinux half of the ORC tests
#   manifest.env  paths the tests read (KEY=value lines)
#
# Needs root (or a user allowed to run apt-get download) and network; Debian 12 sources.
set -euo pipefail

DIR=${PERF_ORC_KMOD_DIR:-/tmp/perf-orc-kmod}
mkdir -p "$DIR/debs"
cd "$DIR"

if [ -f manifest.env ] && [ -x "$(sed -n 's/^OBJTOOL_61=//p' manifest.env)" ] && [ -f "$(sed -n 's/^VMLINUX_612=//p' manifest.env)" ]; then
  echo "kernel packages already in $DIR"
  exit 0
fi

# A fresh machine has empty package lists.
if ! apt-cache show linux-kbuild-6.1 >/dev/null 2>&1; then apt-get update -qq; fi
command -v xz >/dev/null || apt-get install -y -qq xz-utils
command -v lz4 >/dev/null || apt-get install -y -qq lz4
command -v zstd >/dev/null || apt-get install -y -qq zstd

# Highest-versioned package name matching an extended regex, from apt-cache.
pick() { apt-cache search --names-only "$1" | awk '{print $1}' | grep -E "$1" | sort -V | tail -n 1; }

# Download package $1 and unpack it into directory $2 (skipped when $2/.ok exists).
fetch() {
  local pkg=$1 dest=$2
  [ -f "$dest/.ok" ] && return 0
  rm -rf "$dest" && mkdir -p "$dest"
  (cd debs && apt-get download -q "$pkg")
  dpkg -x "debs/${pkg}_"*.deb "$dest"
  touch "$dest/.ok"
}

# peers.md names 6.1.0-47; any 6.1 ABI works, so fall back to the newest one apt knows.
IMG61=linux-image-6.1.0-47-cloud-amd64-unsigned
apt-cache show "$IMG61" >/dev/null 2>&1 || IMG61=$(pick '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$')
KB612=$(pick '^linux-kbuild-6\.12\.[0-9]+\+deb12$')
IMG612=$(pick '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$')
for p in "$IMG61" "$KB612" "$IMG612"; do
  [ -n "$p" ] || { echo "kernel-modules.sh: a kernel package is missing from apt sources" >&2; exit 1; }
done

fetch linux-kbuild-6.1 kbuild-6.1
fetch "$IMG61" image-6.1
fetch "$KB612" kbuild-6.12
fetch "$IMG612" image-6.12

# The vmlinux of a bzImage: the payload after the first compression magic, decompressed (what the
# kernel's scripts/extract-vmlinux does). The decompressor complains about the bytes after the
# payload; the result is checked for the ELF magic instead.
extract_vmlinux() {
  local vmlinuz=$1 magic=$2 tool=$3 out=$4
  [ -f "$out" ] && return 0
  node -e '
    process.stdout.on("error", () => {}) // the decompressor stops reading at the payload end
    const d = require("fs").readFileSync(process.argv[1])
    const i = d.indexOf(Buffer.from(process.argv[2], "hex"))
    if (i < 0) process.exit(1)
    process.stdout.write(d.subarray(i))' "$vmlinuz" "$magic" | "$tool" -dc >"$out.tmp" 2>/dev/null || true
  [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { echo "kernel-modules.sh: no ELF vmlinux in $vmlinuz" >&2; exit 1; }
  mv "$out.tmp" "$out"
}
extract_vmlinux "$(ls "$DIR"/image-6.1/boot/vmlinuz-*)" 02214c18 lz4 "$DIR/vmlinux-6.1"
extract_vmlinux "$(ls "$DIR"/image-6.12/boot/vmlinuz-*)" 28b52ffd zstd "$DIR/vmlinux-6.12"

OBJTOOL_61=$(find "$DIR/kbuild-6.1" -path '*tools/objtool/objtool' -type f | head -n 1)
OBJTOOL_612=$(find "$DIR/kbuild-6.12" -path '*tools/objtool/objtool' -type f | head -n 1)
MODULES_61=$(find "$DIR/image-6.1/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)
MODULES_612=$(find "$DIR/image-6.12/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)
cat >manifest.env.tmp <<EOF
OBJTOOL_61=$OBJTOOL_61
MODULES_61=$MODULES_61
OBJTOOL_612=$OBJTOOL_612
MODULES_612=$MODULES_612
VMLINUX_61=$DIR/vmlinux-6.1
VMLINUX_612=$DIR/vmlinux-6.12
EOF
mv manifest.env.tmp manifest.env
echo "kernel packages in $DIR:"
cat manifest.env
