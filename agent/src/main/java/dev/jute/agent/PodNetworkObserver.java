package dev.jute.agent;

/**
 * Learns of pod interfaces as {@link PodNetworks} wires and removes them, so that other capabilities
 * (NetworkPolicy, Service NAT) program a pod's dataplane state before its CNI ADD returns: a pod never
 * starts unprotected.
 */
public interface PodNetworkObserver {

    /**
     * The pod's interface exists and has its addresses; ADD has not returned yet. Throwing fails the ADD,
     * which then removes the interface and releases the addresses; a {@link dev.jute.cni.CniException}
     * chooses the error the runtime sees, anything else is "dataplane programming failed" (130).
     */
    void podWired(PodAttachment attachment) throws Exception;

    /** The host interface {@code hostInterface} of (containerId, ifname) is gone (DEL, GC or reconcile). */
    void podRemoved(String containerId, String ifname, String hostInterface);
}
