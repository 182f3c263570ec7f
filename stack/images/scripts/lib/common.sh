# shellcheck shell=bash
# Sourced by the image build scripts. The image builder (harness/images/builder.py) runs a recipe's
# `build:` script as root, in stack/images/, with:
#   ROOTFS      the image's root filesystem to fill (empty for `base: scratch`, debootstrapped otherwise)
#   CACHE       obsdrill's cache dir (kept between builds: downloads, Go module and build caches)
#   WORK        a scratch dir, removed after the build
#   RECIPE_DIR  stack/images/          IMAGE_TAG  the tag the image will get
# plus the recipe's `build_env`. Every line printed is shown as progress by `obsdrill images build`.
set -euo pipefail
: "${ROOTFS:?ROOTFS is not set: run this through 'obsdrill images build'}"
: "${CACHE:?CACHE is not set}" "${WORK:?WORK is not set}"

_T0=$(date +%s)
# step TEXT: a progress line with the seconds since the script started
step() { echo "==> [+$(( $(date +%s) - _T0 ))s] $*"; }
die() { echo "error: $*" >&2; exit 2; }

# minimal_rootfs UID NAME HOME: /etc/passwd+group (root and one service user), /tmp, CA bundle.
minimal_rootfs() {
  local uid="$1" name="$2" home="$3"
  mkdir -p "$ROOTFS"/{etc/ssl/certs,tmp}
  chmod 1777 "$ROOTFS/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:%s:%s:%s:%s:/sbin/nologin\n' \
    "$name" "$uid" "$uid" "$name" "$home" > "$ROOTFS/etc/passwd"
  printf 'root:x:0:\n%s:x:%s:\n' "$name" "$uid" > "$ROOTFS/etc/group"
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/"
  fi
}
