package dev.jute.inbox.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

import java.net.InetAddress;
import java.util.HashMap;

/**
 * The in-box cluster's Kubernetes API: fabric8's mock server in CRUD mode behind {@link ApiFrontDispatcher}.
 * It listens on the harness's loopback (a socket, not a change to the root namespace); the nodes reach it
 * through a {@link NamespacePortForwarder} on the segment's bridge address.
 */
final class ApiServer implements AutoCloseable {

    /** The service CIDRs, primary first: the cluster is dual stack for Services as for pods. */
    static final String SERVICE_CIDR = "10.96.0.0/16";
    static final String SERVICE_CIDR_IPV6 = "fd00:10:96::/112";

    /** Held so that the level survives: java.util.logging keeps only weak references to loggers. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        // The mock server logs every request at INFO; the in-box cluster's users want its warnings only.
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final KubernetesMockServer server;

    private ApiServer(KubernetesMockServer server) {
        this.server = server;
    }

    static ApiServer start() {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        ApiFrontDispatcher front = new ApiFrontDispatcher(crud, new ServiceAllocator(SERVICE_CIDR, SERVICE_CIDR_IPV6));
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), front, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        return new ApiServer(server);
    }

    int port() {
        return server.getPort();
    }

    /** The URL for clients in the harness's own namespace (the controllers, kubectl). */
    String localUrl() {
        return "http://127.0.0.1:" + port();
    }

    /** A client for the harness's controllers and kubelets. */
    KubernetesClient client() {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(localUrl()).withNamespace("default")
                .withRequestTimeout(15_000).withConnectionTimeout(5_000).build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    @Override
    public void close() {
        server.destroy();
    }
}
