#!/usr/bin/env bash
# The frontend page's browser-side packages, from the npm registry at the pinned versions of build_env
# NPM_ASSETS ("package@version:file-in-package ..."): each file is copied to /opt/obsdrill/frontend/, where the
# frontend service serves it as /static/vendor/<file name>. Nothing is fetched from a CDN when the page runs.
. "$(dirname "$0")/lib/common.sh"
: "${NPM_ASSETS:?}"
if ! command -v npm >/dev/null; then
  step "npm not found: installing Debian's npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm >/dev/null
fi
PACKS="$CACHE/npm-packs"
OUT="$ROOTFS/opt/obsdrill/frontend"
mkdir -p "$PACKS" "$OUT"
for asset in $NPM_ASSETS; do
  spec="${asset%%:*}" file="${asset#*:}"
  name="${spec%@*}" version="${spec##*@}"
  tarball="$PACKS/$(echo "$name" | tr -d @ | tr / -)-$version.tgz"
  if [ ! -f "$tarball" ]; then
    step "npm pack $spec"
    (cd "$WORK" && npm pack --silent "$spec" >/dev/null && mv "$(ls -t ./*.tgz | head -1)" "$tarball")
  else
    step "$spec cached"
  fi
  tar -xzf "$tarball" -C "$WORK" "package/$file" || die "$spec has no $file"
  cp "$WORK/package/$file" "$OUT/$(basename "$file")"
  rm -rf "$WORK/package"
done
ls -l "$OUT"
