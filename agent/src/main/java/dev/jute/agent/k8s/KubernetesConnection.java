package dev.jute.agent.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.nio.file.Path;

/** Builds the agent's Kubernetes client from a kubeconfig file or the pod's service account. */
public final class KubernetesConnection {

    private KubernetesConnection() {
    }

    /**
     * @param kubeconfig the kubeconfig file, or null for the in-cluster service account
     *                   ({@code KUBERNETES_SERVICE_HOST} and the mounted token)
     */
    public static KubernetesClient connect(Path kubeconfig) throws IOException {
        Config config;
        if (kubeconfig != null) {
            config = Config.fromKubeconfig(kubeconfig.toFile());
        } else {
            // autoConfigure reads the service-account token and CA when it runs in a pod.
            config = Config.autoConfigure(null);
        }
        // Informers reconnect by themselves; a failed request should not wait for minutes first.
        config.setConnectionTimeout(5_000);
        config.setRequestTimeout(15_000);
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
