"""Elasticsearch, single node, security off, small heap; the run's elasticsearch.yml is mounted over the
image's (works for the local integ-test-zip image and the official one). Ready on cluster health yellow:
the local image has no rest-root module, so GET / answers 405 there."""

from __future__ import annotations

from dataclasses import replace

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, container

ALIAS = "elasticsearch"
ES_CONFIG = "/usr/share/elasticsearch/config/elasticsearch.yml"
PORT = 9200
HINT = ("needs about 1 GB of memory; warnings about vm.max_map_count or file descriptors are harmless "
        "(single-node); a settings error names the key above")


def elasticsearch(image: str, run: RunContext, heap: str = "512m") -> ContainerSpec:
    ready = Readiness(PORT, ("/_cluster/health?wait_for_status=yellow&timeout=1s",), HINT)
    return replace(
        container(run, ALIAS, image, ready),
        env=(("ES_JAVA_OPTS", f"-Xms{heap} -Xmx{heap}"),),
        ports=(PORT,),
        mounts=(Mount(run.run_dir / ALIAS / "elasticsearch.yml", ES_CONFIG, "ro"),),
    )
