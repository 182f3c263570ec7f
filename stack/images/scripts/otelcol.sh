#!/usr/bin/env bash
# OpenTelemetry Collector built with the collector builder (ocb) from the Go module proxy: only the
# components obsdrill uses (OTLP and file-log receivers, batch, OTLP/Elasticsearch/debug exporters,
# file_storage and health_check). A static binary on an otherwise empty rootfs, run as uid 10001.
#   build_env: OTEL_VERSION (builder and every component module; see the recipe for why this one),
#              GO_MIN_MINOR (oldest Go used as is), GO_FETCH (toolchain fetched when the local Go is older)
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/go.sh"
: "${OTEL_VERSION:?}"
go_setup "${GO_MIN_MINOR:-25}" "${GO_FETCH:-1.25.4}"

OCB="$GOBIN/ocb-$OTEL_VERSION"
if [ ! -x "$OCB" ]; then
  step "installing the collector builder v$OTEL_VERSION"
  nice -n 10 "$GO" install "go.opentelemetry.io/collector/cmd/builder@v$OTEL_VERSION"
  mv "$GOBIN/builder" "$OCB"
else
  step "collector builder v$OTEL_VERSION cached"
fi

C=go.opentelemetry.io/collector
X=github.com/open-telemetry/opentelemetry-collector-contrib
V="v$OTEL_VERSION"
DIST="$WORK/dist"
mkdir -p "$DIST"
cat > "$WORK/manifest.yaml" <<YAML
dist:
  module: obsdrill/otelcol
  name: otelcol
  description: obsdrill OpenTelemetry Collector
  version: "$OTEL_VERSION"
  output_path: $DIST
receivers:
  - gomod: $C/receiver/otlpreceiver $V
  - gomod: $X/receiver/filelogreceiver $V
processors:
  - gomod: $C/processor/batchprocessor $V
exporters:
  - gomod: $C/exporter/otlpexporter $V
  - gomod: $C/exporter/otlphttpexporter $V
  - gomod: $C/exporter/debugexporter $V
  - gomod: $X/exporter/elasticsearchexporter $V
extensions:
  - gomod: $X/extension/storage/filestorage $V
  - gomod: $X/extension/healthcheckextension $V
YAML

# Seed go.sum with the go.sum files shipped inside the component modules (themselves verified against
# the checksum database): the checksum database, reached through the proxy, 404s for some transitive
# pseudo-versions (go.opentelemetry.io/ebpf-profiler), which would make the builder's `go mod tidy` fail.
step "downloading component modules, seeding go.sum"
for gm in $(sed -n 's/^ *- gomod: \([^ ]*\) \(v[^ ]*\)$/\1@\2/p' "$WORK/manifest.yaml"); do
  cat "$(go_mod_dir "$gm")/go.sum"
done | sort -u > "$DIST/go.sum"

step "ocb: generate, go mod tidy, go build (cold: a few minutes on 2 cores)"
(cd "$WORK" && nice -n 10 "$OCB" --config manifest.yaml --ldflags="-s -w")
[ -x "$DIST/otelcol" ] || die "ocb produced no binary (see the lines above)"
step "binary: $(stat -c %s "$DIST/otelcol") bytes"

minimal_rootfs 10001 otel /var/lib/otelcol
mkdir -p "$ROOTFS"/{etc/otelcol,var/lib/otelcol/file_storage,var/log/app}
install -m 0755 "$DIST/otelcol" "$ROOTFS/otelcol"
# Default config so the image runs on its own (OTLP in, debug out); obsdrill mounts its own config.
cat > "$ROOTFS/etc/otelcol/config.yaml" <<'YAML'
receivers:
  otlp:
    protocols: {grpc: {endpoint: 0.0.0.0:4317}, http: {endpoint: 0.0.0.0:4318}}
exporters:
  debug: {}
extensions:
  health_check: {endpoint: 0.0.0.0:13133}
service:
  extensions: [health_check]
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
    logs: {receivers: [otlp], exporters: [debug]}
YAML
chown -R 10001:10001 "$ROOTFS/var/lib/otelcol"
step "rootfs ready"
