#!/usr/bin/env bash
# The postgres recipe's build step: the entrypoint that gives Debian's PostgreSQL the official image's
# contract, installed into the debootstrapped rootfs.
. "$(dirname "$0")/lib/common.sh"
install -D -m 0755 "$(dirname "$0")/postgres-entrypoint.sh" "$ROOTFS/usr/local/bin/docker-entrypoint.sh"
step "entrypoint installed"
