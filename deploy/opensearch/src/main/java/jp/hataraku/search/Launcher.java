package jp.hataraku.search;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.gateway.GatewayService;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.percolator.PercolatorPlugin;
import org.opensearch.plugin.analysis.kuromoji.AnalysisKuromojiPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node in this JVM, its plugins on the classpath (no plugins/ or modules/
 * folder, no security manager, no bootstrap checks): the search engine for local runs and CI.
 *
 * <p>usage: java -cp target/hataraku-opensearch.jar:target/lib/* jp.hataraku.search.Launcher
 * key=value … — each argument is a node setting (path.home, path.data, http.port …) over the
 * defaults below. Runs until SIGTERM/SIGINT, then closes the node (flushing its shards).
 */
public final class Launcher {
    /** The distribution's modules and plugins this project uses, loaded from the classpath. */
    static final Collection<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,           // HTTP and transport
        CommonAnalysisPlugin.class,   // cjk_width, cjk_bigram, custom analyzers' filters
        MapperExtrasPlugin.class,     // scaled_float, rank_feature, search_as_you_type
        ReindexPlugin.class,          // _reindex, _update_by_query, _delete_by_query
        PainlessPlugin.class,         // scripts
        PercolatorPlugin.class,       // percolator queries (saved searches)
        AnalysisKuromojiPlugin.class  // kuromoji_tokenizer and friends (2.16.0 classes)
    );

    /** A subclass only to reach Node's constructor that takes classpath plugins. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment) {
            super(environment, PLUGINS, true);
        }
    }

    private Launcher() {}

    /**
     * One node has nowhere to put a replica: new indices get none, so they are green rather than
     * yellow. New indices read this default from the cluster's settings, not the node's, so it is
     * stored there (persistent) unless already set.
     */
    static void defaultToNoReplicas(Node node, Logger log) throws InterruptedException {
        String key = Metadata.DEFAULT_REPLICA_COUNT_SETTING.getKey();
        ClusterState state = node.client().admin().cluster().prepareState().get().getState();
        // the stored settings are in the state once it has been recovered from disk
        while (state.blocks().hasGlobalBlock(GatewayService.STATE_NOT_RECOVERED_BLOCK)) {
            Thread.sleep(100);
            state = node.client().admin().cluster().prepareState().get().getState();
        }
        if (!state.metadata().persistentSettings().hasValue(key)) {
            node.client().admin().cluster().prepareUpdateSettings()
                .setPersistentSettings(Settings.builder().put(key, 0)).get();
            log.info("set {} to 0", key);
        }
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder settings = Settings.builder()
            .put("cluster.name", "hataraku-local")
            .put("node.name", "hataraku-search")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", "9200")
            .put("transport.port", "9300-9399")
            // a nearly full disk must not turn indices read-only on a developer machine
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got " + arg);
            }
            settings.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings.build(), Map.of(), null, () -> "hataraku-search");
        Logger log = LogManager.getLogger(Launcher.class);
        Node node = new EmbeddedNode(environment);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                log.info("stopping");
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("closing the node failed", e);
            } finally {
                stopped.countDown();
                LogManager.shutdown();
            }
        }, "hataraku-shutdown"));
        node.start();
        defaultToNoReplicas(node, log);
        log.info("started: http {}", environment.settings().get("http.port"));
        stopped.await(); // the node's own threads are daemons: keep the JVM alive
    }
}
