# shellcheck shell=bash
# Sourced by the Go image build scripts: pick a Go toolchain and keep module/build caches in $CACHE/go.
# Modules come only from the Go module proxy (GOPROXY as this machine's Go has it, `direct` removed:
# no VCS fetches), verified against the checksum database as usual.

# _go_minor GO: the minor version of that go binary (26 for go1.26.8), empty if it does not run
_go_minor() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'; }

# _newest_go: the newest go among $GO, /usr/local/go, PATH and Debian's /usr/lib/go-1.*
_newest_go() {
  local best="" best_minor=0 cand minor
  for cand in "${GO:-}" /usr/local/go/bin/go "$(command -v go || true)" /usr/lib/go-1.*/bin/go; do
    [ -n "$cand" ] && [ -x "$cand" ] || continue
    minor=$(_go_minor "$cand")
    if [ -n "$minor" ] && [ "$minor" -gt "$best_minor" ]; then best="$cand"; best_minor="$minor"; fi
  done
  echo "$best"
}

# _find_go: _newest_go; when none is >= 1.21, first installs Debian's newest golang-1.N-go if that is.
_find_go() {
  local go minor pkg
  go=$(_newest_go)
  minor=$([ -n "$go" ] && _go_minor "$go" || echo 0)
  if [ "${minor:-0}" -lt 21 ]; then
    pkg=$(apt-cache search --names-only '^golang-1\.[0-9]+-go$' 2>/dev/null | cut -d' ' -f1 | sort -V | tail -1)
    if [ -n "$pkg" ] && [ "$(echo "$pkg" | sed 's/golang-1\.\([0-9]*\)-go/\1/')" -ge 21 ]; then
      echo "==> installing Debian package $pkg" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >&2
      go=$(_newest_go)
    fi
  fi
  echo "$go"
}

# go_setup MIN_MINOR FETCH_VERSION: exports GO (the go binary) and the Go environment.
#   Go >= 1.MIN_MINOR here: used as is (GOTOOLCHAIN=local).
#   Go 1.21 .. 1.MIN_MINOR-1: used to fetch go$FETCH_VERSION through the module proxy (GOTOOLCHAIN).
#   Older or none (Debian bookworm ships 1.19): a clear error.
go_setup() {
  local min="$1" fetch="$2" minor proxy
  GO=$(_find_go)
  minor=$([ -n "$GO" ] && _go_minor "$GO" || echo 0)
  if [ -z "$GO" ] || [ "$minor" -lt 21 ]; then
    die "building this image needs Go >= 1.$min; found: ${GO:-no go binary}${GO:+ (go1.$minor)}.
  Debian bookworm's golang (1.19) is too old and cannot fetch a newer toolchain itself (that needs Go >= 1.21).
  Fix: install Go >= 1.21 at /usr/local/go (or set GO=/path/to/bin/go); with 1.21..1.$((min-1)) the build
  fetches go$fetch through the Go module proxy (GOTOOLCHAIN). Or set OBSDRILL_IMAGES/OBSDRILL_IMAGE_<NAME>
  to use a prebuilt image."
  fi
  export PATH="$(dirname "$GO"):$PATH"
  if [ "$minor" -ge "$min" ]; then export GOTOOLCHAIN=local; else export GOTOOLCHAIN="go$fetch"; fi
  proxy="${GOPROXY:-$("$GO" env GOPROXY)}"
  proxy=$(echo "$proxy" | tr ',|' '\n\n' | grep -v -x -E 'direct|off|' | paste -sd, - || true)
  [ -n "$proxy" ] || die "GOPROXY ('$("$GO" env GOPROXY)') names no module proxy; set GOPROXY"
  export GOPROXY="$proxy"
  export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOPATH="$CACHE/go/path" GOBIN="$CACHE/go/bin"
  export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -modcacherw"
  mkdir -p "$GOMODCACHE" "$GOCACHE" "$GOBIN"
  step "Go: $GO ($("$GO" env GOVERSION), GOTOOLCHAIN=$GOTOOLCHAIN); caches in $CACHE/go" \
       "($(du -sh "$CACHE/go" 2>/dev/null | cut -f1))"
}

# go_mod_dir MODULE@VERSION: download a module (checksum-verified) and print its directory in GOMODCACHE
go_mod_dir() {
  (cd "$WORK" && "$GO" mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
