package dev.jute.inbox.cluster;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The EndpointSlice controller: for every Service with a selector, one slice per IP family of the Service listing
 * the ready and not-ready pods it selects with the Service's ports (named target ports resolved through
 * the pods' container ports). Slices of deleted Services are removed. Work is coalesced: a burst of pod
 * events causes one pass over all Services, on a thread of its own.
 */
final class EndpointSliceController implements AutoCloseable {

    static final String MANAGED_BY = "endpointslice-controller.jute.dev";

    private final KubernetesClient client;
    private final SharedIndexInformer<Service> services;
    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<EndpointSlice> slices;
    private final Thread worker;
    private final Object signal = new Object();
    private boolean dirty = true;
    private volatile boolean closed;

    EndpointSliceController(KubernetesClient client) {
        this.client = client;
        ResourceEventHandler<Object> wake = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object o) {
                requestSync();
            }

            @Override
            public void onUpdate(Object o, Object n) {
                requestSync();
            }

            @Override
            public void onDelete(Object o, boolean unknown) {
                requestSync();
            }
        };
        services = client.services().inAnyNamespace().inform();
        pods = client.pods().inAnyNamespace().inform();
        slices = client.discovery().v1().endpointSlices().inAnyNamespace().withLabel("endpointslice.kubernetes.io/managed-by", MANAGED_BY).inform();
        services.addEventHandler(cast(wake));
        pods.addEventHandler(cast(wake));
        worker = Thread.ofPlatform().name("endpointslice-controller").daemon().start(this::run);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> handler) {
        return (ResourceEventHandler) handler;
    }

    private void requestSync() {
        synchronized (signal) {
            dirty = true;
            signal.notifyAll();
        }
    }

    private void run() {
        while (!closed) {
            try {
                synchronized (signal) {
                    while (!dirty && !closed) {
                        signal.wait();
                    }
                    dirty = false;
                }
                if (!closed) {
                    reconcile();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                HarnessLog.warn("endpointslices", "pass failed, retrying: " + e.getMessage());
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    return;
                }
                requestSync();
            }
        }
    }

    private void reconcile() {
        Map<String, EndpointSlice> desired = new HashMap<>();
        for (Service service : services.getStore().list()) {
            Map<String, String> selector = service.getSpec().getSelector();
            if (selector == null || selector.isEmpty()) {
                continue;
            }
            List<Pod> selected = pods.getStore().list().stream()
                    .filter(p -> p.getMetadata().getNamespace().equals(service.getMetadata().getNamespace()))
                    .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                    .filter(p -> labelsMatch(selector, p.getMetadata().getLabels()))
                    .toList();
            // One slice per family the Service has, as the real controller does (no ipFamilies: IPv4).
            List<String> families = service.getSpec().getIpFamilies() == null || service.getSpec().getIpFamilies().isEmpty()
                    ? List.of("IPv4") : service.getSpec().getIpFamilies();
            for (String family : families) {
                EndpointSlice slice = slice(service, selected, family);
                desired.put(slice.getMetadata().getNamespace() + "/" + slice.getMetadata().getName(), slice);
            }
        }
        Map<String, EndpointSlice> actual = new HashMap<>();
        slices.getStore().list().forEach(s -> actual.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s));
        for (var entry : desired.entrySet()) {
            EndpointSlice have = actual.get(entry.getKey());
            EndpointSlice want = entry.getValue();
            try {
                if (have == null) {
                    client.resource(want).create();
                } else if (!Objects.equals(have.getEndpoints(), want.getEndpoints()) || !Objects.equals(have.getPorts(), want.getPorts())) {
                    want.getMetadata().setResourceVersion(null);
                    client.resource(want).update();
                }
            } catch (KubernetesClientException e) {
                HarnessLog.info("endpointslices", "cannot write " + entry.getKey() + " (retrying on the next change): " + e.getMessage());
                requestSync();
            }
        }
        for (var entry : actual.entrySet()) {
            if (!desired.containsKey(entry.getKey())) {
                client.resource(entry.getValue()).delete();
            }
        }
    }

    private static EndpointSlice slice(Service service, List<Pod> selected, String family) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (Pod pod : selected) {
            if (pod.getStatus() == null || pod.getStatus().getPodIPs() == null) {
                continue;
            }
            boolean ready = pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            for (PodIP ip : pod.getStatus().getPodIPs()) {
                if (ip.getIp().contains(":") == family.equals("IPv6")) {
                    endpoints.add(new EndpointBuilder().withAddresses(ip.getIp())
                            .withNewConditions().withReady(ready).withServing(ready).withTerminating(false).endConditions()
                            .withNodeName(pod.getSpec().getNodeName())
                            .withTargetRef(new ObjectReferenceBuilder().withKind("Pod").withNamespace(pod.getMetadata().getNamespace())
                                    .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).build())
                            .build());
                }
            }
        }
        endpoints.sort(java.util.Comparator.comparing(e -> e.getAddresses().getFirst()));
        List<EndpointPort> ports = new ArrayList<>();
        for (ServicePort port : service.getSpec().getPorts()) {
            Integer target = port.getTargetPort() == null ? port.getPort()
                    : port.getTargetPort().getIntVal() != null ? port.getTargetPort().getIntVal()
                    : namedPort(selected, port.getTargetPort().getStrVal());
            if (target != null) {
                ports.add(new EndpointPortBuilder().withName(port.getName() == null ? "" : port.getName())
                        .withPort(target).withProtocol(port.getProtocol()).build());
            }
        }
        String name = service.getMetadata().getName() + "-" + family.toLowerCase(java.util.Locale.ROOT);
        return new EndpointSliceBuilder().withNewMetadata().withNamespace(service.getMetadata().getNamespace()).withName(name)
                .addToLabels("kubernetes.io/service-name", service.getMetadata().getName())
                .addToLabels("endpointslice.kubernetes.io/managed-by", MANAGED_BY)
                .endMetadata().withAddressType(family).withEndpoints(endpoints).withPorts(ports).build();
    }

    private static Integer namedPort(List<Pod> pods, String name) {
        for (Pod pod : pods) {
            for (var container : pod.getSpec().getContainers()) {
                for (ContainerPort port : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
                    if (name.equals(port.getName())) {
                        return port.getContainerPort();
                    }
                }
            }
        }
        return null;
    }

    static boolean labelsMatch(Map<String, String> selector, Map<String, String> labels) {
        return labels != null && selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    @Override
    public void close() {
        closed = true;
        synchronized (signal) {
            signal.notifyAll();
        }
        worker.interrupt();
        slices.close();
        pods.close();
        services.close();
    }
}
