#!/usr/bin/env bash
# The frontend page's browser-side packages, from the npm registry at the pinned versions of build_env:
#   NPM_ASSETS  "package@version:file-in-package ...": each file copied to /opt/obsdrill/frontend/
#   NPM_BUNDLES "name:entry.js:package@version,...": the entry (synthetic_services/frontend-assets/src/) bundled
#               with its packages by esbuild (ESBUILD_VERSION) into /opt/obsdrill/frontend/<name>.iife.js
#               (@sentry/browser ships no prebuilt browser bundle in its npm package)
# The frontend service serves them as /static/vendor/<file name>. Nothing is fetched from a CDN at run time.
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
for bundle in ${NPM_BUNDLES:-}; do
  name="${bundle%%:*}" rest="${bundle#*:}"
  entry="${rest%%:*}" packages="${rest#*:}"
  dir="$CACHE/npm-bundles/$name-$(echo "$packages $ESBUILD_VERSION" | sha256sum | cut -c1-12)"
  if [ ! -d "$dir/node_modules" ]; then
    step "npm install ${packages//,/ } esbuild@$ESBUILD_VERSION"
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    (cd "$dir" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund ${packages//,/ } \
      "esbuild@$ESBUILD_VERSION" >/dev/null)
  else
    step "$name's packages cached"
  fi
  cp "$ROOTFS/opt/obsdrill/app/synthetic_services/frontend-assets/src/$entry" "$dir/$entry"  # copied in already
  step "esbuild $entry -> $name.iife.js"
  (cd "$dir" && ./node_modules/.bin/esbuild "$entry" --bundle --minify --format=iife --target=es2019 \
    --outfile="$OUT/$name.iife.js" --log-level=warning)
done
ls -l "$OUT"
