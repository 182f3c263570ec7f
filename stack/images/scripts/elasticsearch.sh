#!/usr/bin/env bash
# Elasticsearch from the Maven repository's integ-test-zip (a pure-Java distribution: no bundled JDK, no
# native code, modules apm, transport-netty4, x-pack-core and x-pack-security only), on the Debian rootfs
# the recipe debootstraps with openjdk-17-jre-headless. Runs as uid 1000, gid 0 (like the official image).
# Not in this distribution: rest-root (GET / answers 405: probe /_cluster/health), reindex
# (_delete_by_query), data streams, ILM, ingest pipelines, painless. Composable index templates, _bulk,
# _search, aggregations, _count and index deletion work.
#   build_env: ES_VERSION
# Where the zip comes from (first that applies; the project names no repository host):
#   1. $OBSDRILL_MAVEN_REPO, a Maven repository base URL (the directory holding org/, com/, ...)
#   2. the first <mirror> <url> in ~/.m2/settings.xml
#   3. `mvn dependency:copy` (Maven's own default repository); Debian's `maven` is installed first when
#      there is no mvn and this runs as root with apt-get
# Downloads are checksum-verified and cached in $CACHE/downloads.
. "$(dirname "$0")/lib/common.sh"
: "${ES_VERSION:?}"
GROUP_PATH=org/elasticsearch/distribution/integ-test-zip/elasticsearch
COORD=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip
ZIP="$CACHE/downloads/elasticsearch-integ-test-$ES_VERSION.zip"
mkdir -p "$CACHE/downloads"

maven_base() {
  if [ -n "${OBSDRILL_MAVEN_REPO:-}" ]; then echo "${OBSDRILL_MAVEN_REPO%/}"; return; fi
  if [ -f "$HOME/.m2/settings.xml" ]; then
    awk '/<mirrors>/{m=1} /<\/mirrors>/{m=0} m && /<url>/{gsub(/.*<url>[ \t]*|[ \t]*<\/url>.*/, ""); print; exit}' \
      "$HOME/.m2/settings.xml" | sed 's:/*$::'
  fi
}

fetch_url() {  # BASE: download and verify against the .sha512 (else .sha1) sidecar
  local url="$1/$GROUP_PATH/$ES_VERSION/elasticsearch-$ES_VERSION.zip" sum
  step "downloading $COORD from $1"
  curl -fsSL --retry 3 -o "$ZIP.part" "$url"
  if sum=$(curl -fsSL "$url.sha512" 2>/dev/null); then
    echo "${sum%% *}  $ZIP.part" | sha512sum -c --quiet
  else
    sum=$(curl -fsSL "$url.sha1"); echo "${sum%% *}  $ZIP.part" | sha1sum -c --quiet
  fi
}

fetch_mvn() {  # Maven's own resolution (default repository), strict checksums
  step "downloading $COORD with mvn (Maven's default repository)"
  mvn -B -q -C --no-transfer-progress -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="$COORD" -DoutputDirectory="$WORK/mvn" -Dmdep.useBaseVersion=true 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g'
  mv "$WORK/mvn/elasticsearch-$ES_VERSION.zip" "$ZIP.part"
  rm -rf "$CACHE/m2/${GROUP_PATH}"  # kept once, in $CACHE/downloads
}

if [ -f "$ZIP" ]; then
  step "cached: $ZIP"
else
  BASE=$(maven_base)
  if [ -z "$BASE" ] && ! command -v mvn >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian's maven (to fetch the zip from Maven's default repository)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends maven >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends maven >/dev/null; }
  fi
  if [ -n "$BASE" ]; then fetch_url "$BASE"
  elif command -v mvn >/dev/null; then fetch_mvn
  else die "the Elasticsearch zip ($COORD) is not cached and no Maven repository is known.
  Set OBSDRILL_MAVEN_REPO to a Maven repository base URL (Maven Central's .../maven2), add a <mirror>
  to ~/.m2/settings.xml, or install Maven (apt-get install maven) -- or set OBSDRILL_IMAGE_ELASTICSEARCH
  to a prebuilt image."
  fi
  mv "$ZIP.part" "$ZIP"
fi

step "unpacking into /usr/share/elasticsearch"
ESH="$ROOTFS/usr/share/elasticsearch"
rm -rf "$ESH" "$WORK/unzip"
mkdir -p "$(dirname "$ESH")"
unzip -q "$ZIP" -d "$WORK/unzip"
mv "$WORK/unzip/elasticsearch-$ES_VERSION" "$ESH"
rm -f "$ESH"/bin/*.bat "$ESH"/bin/*.exe
mkdir -p "$ESH/data" "$ESH/logs"
# ES uses $ES_HOME/jdk when ES_JAVA_HOME is unset: point it at Debian's JRE (any architecture)
JRE=$(cd "$ROOTFS" && ls -d usr/lib/jvm/java-17-openjdk-* | head -1)
[ -n "$JRE" ] || die "no JRE in the rootfs (recipe packages must include openjdk-17-jre-headless)"
ln -s "/$JRE" "$ESH/jdk"
# container defaults so the image runs on its own; obsdrill mounts its own elasticsearch.yml over it
cat > "$ESH/config/elasticsearch.yml" <<'YAML'
network.host: 0.0.0.0
discovery.type: single-node
xpack.security.enabled: false
YAML
grep -q '^elasticsearch:' "$ROOTFS/etc/passwd" ||
  echo "elasticsearch:x:1000:0:elasticsearch:/usr/share/elasticsearch:/bin/sh" >> "$ROOTFS/etc/passwd"
chown -R 1000:0 "$ESH"
chmod -R g=u "$ESH"
step "rootfs ready ($(du -sh "$ROOTFS" | cut -f1))"
