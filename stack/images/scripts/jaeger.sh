#!/usr/bin/env bash
# Jaeger v2 (cmd/jaeger, an OpenTelemetry-Collector-based binary) built from the Go module proxy.
# The module path has no /v2: every v2 release carries a twin v1 tag on the same commit
# (v1.76.0 == v2.13.0, CHANGELOG "v1.76.0 / v2.13.0"), and that v1 tag is what the proxy serves.
# The UI is not in the module zip: the binary serves a placeholder page (the query API is complete).
#   build_env: JAEGER_MODVER (module version), JAEGER_VERSION (the v2 version it reports),
#              GO_MIN_MINOR, GO_FETCH (as in otelcol.sh)
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/go.sh"
: "${JAEGER_MODVER:?}" "${JAEGER_VERSION:?}"
go_setup "${GO_MIN_MINOR:-25}" "${GO_FETCH:-1.25.4}"

MOD=github.com/jaegertracing/jaeger
step "downloading $MOD@$JAEGER_MODVER"
DIR=$(go_mod_dir "$MOD@$JAEGER_MODVER")
[ -n "$DIR" ] || die "go mod download $MOD@$JAEGER_MODVER gave no directory"
SRC="$WORK/src"
cp -r "$DIR" "$SRC"
chmod -R u+w "$SRC"
# the module's own release time (not now), so the binary is the same on every build
DATE=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$GOMODCACHE/cache/download/$MOD/@v/$JAEGER_MODVER.info")

step "go build ./cmd/jaeger (cold: about 4 minutes on 2 cores)"
VPKG=$MOD/internal/version
(cd "$SRC" && nice -n 10 "$GO" build -trimpath \
   -ldflags "-s -w -X $VPKG.latestVersion=$JAEGER_VERSION -X $VPKG.commitSHA=$JAEGER_MODVER -X $VPKG.date=$DATE" \
   -o "$WORK/jaeger" ./cmd/jaeger)
step "binary: $(stat -c %s "$WORK/jaeger") bytes"

minimal_rootfs 10001 jaeger /tmp
install -m 0755 "$WORK/jaeger" "$ROOTFS/jaeger"
step "rootfs ready"
