package dev.jute.agent.policy;

import dev.jute.agent.Log;
import dev.jute.policy.ObjectRef;
import dev.jute.policy.ValidationProblem;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Reports an invalid NetworkPolicy as a Warning Event on it, so that {@code kubectl describe
 * networkpolicy} shows why it is not enforced. Sent from a virtual thread: the API being slow must
 * never hold up the enforcer.
 */
final class KubernetesEventReporter implements PolicyProblemReporter {

    private static final Log LOG = Log.of("policy");

    private final KubernetesClient client;
    private final String nodeName;

    KubernetesEventReporter(KubernetesClient client, String nodeName) {
        this.client = client;
        this.nodeName = nodeName;
    }

    @Override
    public void invalidPolicy(ObjectRef policy, List<ValidationProblem> problems) {
        String message = "not enforced on node " + nodeName + ": "
                         + problems.stream().map(ValidationProblem::toString).collect(Collectors.joining("; "));
        String now = DateTimeFormatter.ISO_INSTANT.format(Instant.now());
        var event = new EventBuilder()
                .withNewMetadata().withNamespace(policy.namespace())
                .withName(policy.name() + "." + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT))
                .endMetadata()
                .withType("Warning").withReason("InvalidNetworkPolicy").withMessage(message)
                .withNewInvolvedObject().withApiVersion("networking.k8s.io/v1").withKind("NetworkPolicy")
                .withNamespace(policy.namespace()).withName(policy.name()).endInvolvedObject()
                .withNewSource().withComponent("jute-agent").withHost(nodeName).endSource()
                .withReportingComponent("jute-agent").withReportingInstance(nodeName)
                .withFirstTimestamp(now).withLastTimestamp(now).withEventTime(new MicroTime(now)).withCount(1)
                .build();
        Thread.ofVirtual().name("policy-event").start(() -> {
            try {
                client.v1().events().inNamespace(policy.namespace()).resource(event).create();
            } catch (RuntimeException e) {
                LOG.warn("cannot post the Event for an invalid NetworkPolicy", "policy", policy, "error", e.getMessage());
            }
        });
    }
}
