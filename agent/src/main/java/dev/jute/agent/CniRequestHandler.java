package dev.jute.agent;

import dev.jute.cni.AgentProtocol.Request;
import dev.jute.cni.AgentProtocol.Response;
import dev.jute.cni.CniErrorCode;
import dev.jute.cni.CniException;
import dev.jute.cni.CniRequest;
import dev.jute.cni.CniVersion;

import java.util.Map;

/**
 * Turns one forwarded CNI invocation (environment + stdin) into what jute-cni must print and its exit
 * status. The agent re-validates everything: the socket is the trust boundary, not the executable.
 */
public final class CniRequestHandler {

    private static final Log LOG = Log.of("cni");

    private final PodNetworks pods;
    private final CniMetrics metrics;

    public CniRequestHandler(PodNetworks pods, CniMetrics metrics) {
        this.pods = pods;
        this.metrics = metrics;
    }

    public Response handle(Request forwarded) {
        Map<String, String> environment = forwarded.environment();
        long start = System.nanoTime();
        String command = environment.getOrDefault(CniRequest.CNI_COMMAND, "?");
        String versionForErrors = CniVersion.LATEST.text();
        try {
            CniRequest request = CniRequest.parse(environment, forwarded.stdin());
            versionForErrors = request.requestedVersion();
            Response reply = dispatch(request);
            metrics.record(command, true, System.nanoTime() - start);
            return reply;
        } catch (CniException e) {
            metrics.record(command, false, System.nanoTime() - start);
            LOG.warn("CNI request failed", "command", command, "container", environment.get(CniRequest.CNI_CONTAINERID),
                    "code", e.code(), "msg", e.msg(), "details", e.details());
            return new Response(1, e.toJsonText(versionForErrors));
        } catch (RuntimeException | Error e) {
            metrics.record(command, false, System.nanoTime() - start);
            LOG.error("CNI request crashed", "command", command, "error", e.toString());
            if (LOG.debugEnabled()) {
                e.printStackTrace();
            }
            CniException internal = new CniException(CniErrorCode.INTERNAL_ERROR, "internal error in the Jute agent",
                    e.toString());
            return new Response(1, internal.toJsonText(versionForErrors));
        }
    }

    private Response dispatch(CniRequest request) throws CniException {
        switch (request.command()) {
            case ADD -> {
                return Response.success(pods.add(request).toJsonText(request.responseVersion()));
            }
            case DEL -> pods.del(request);
            case CHECK -> pods.check(request);
            case STATUS -> pods.status();
            case GC -> pods.gc(request.config().validAttachments());
            case VERSION -> {
                return Response.success(CniVersion.versionResultText(request.requestedVersion()));
            }
        }
        return Response.success("");
    }
}
