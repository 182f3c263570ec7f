"""Elasticsearch, single node, security off, small heap; the run's elasticsearch.yml is mounted over the
image's (works for the local integ-test-zip image and the official one). Ready on cluster health yellow:
the local image has no rest-root module, so GET / answers 405 there."""

from __future__ import annotations

from harness.components.base import ObsContainer, RunContext

ES_CONFIG = "/usr/share/elasticsearch/config/elasticsearch.yml"


class ElasticsearchContainer(ObsContainer):
    alias = "elasticsearch"
    ready_path = "/_cluster/health?wait_for_status=yellow&timeout=1s"
    ready_port = 9200
    hint = ("needs about 1 GB of memory; warnings about vm.max_map_count or file descriptors are harmless "
            "(single-node); a settings error names the key above")

    def __init__(self, image: str, run: RunContext, heap: str = "512m") -> None:
        super().__init__(image, run)
        self.with_loopback_port(9200)
        self.with_volume_mapping(str(run.run_dir / "elasticsearch" / "elasticsearch.yml"), ES_CONFIG, "ro")
        self.with_env("ES_JAVA_OPTS", f"-Xms{heap} -Xmx{heap}")
