# syntax=docker/dockerfile:1.7
# The search engine for docker-compose.yml: the official OpenSearch image (the version the local
# node of deploy/opensearch/pom.xml runs) with the Japanese morphological analyzer, whose jobs
# index uses kuromoji beside cjk_width + cjk_bigram (analysis-common, built in).
# Build:  docker build -f deploy/docker/opensearch.Dockerfile -t hataraku-opensearch:2.19.6 deploy/docker
# Nothing is copied in: the context can be any folder.

# pinned to an exact release (tests/deploy/test_compose.py refuses floating tags); a plugin must
# match the engine's version exactly, and opensearch-plugin picks the one of this image
ARG OPENSEARCH_IMAGE=opensearchproject/opensearch:2.19.6

FROM ${OPENSEARCH_IMAGE}
# --batch: no prompt for the plugin's permissions (kuromoji asks for none)
RUN /usr/share/opensearch/bin/opensearch-plugin install --batch analysis-kuromoji \
    && /usr/share/opensearch/bin/opensearch-plugin list | grep -qx analysis-kuromoji
# the official image's user (uid 1000), its entrypoint and its ports (9200 HTTP, 9300 transport)
USER opensearch
HEALTHCHECK --interval=10s --timeout=10s --start-period=60s --retries=10 \
    CMD curl -fsS "http://localhost:9200/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null || exit 1
