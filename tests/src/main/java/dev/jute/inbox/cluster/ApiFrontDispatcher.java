package dev.jute.inbox.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sits in front of fabric8's CRUD dispatcher and adds what makes it behave like an API server for
 * kubectl, the agents and the controllers: discovery documents, 404 for OpenAPI, JSON content types,
 * defaulting and the Service registry's allocation and conflict checks on create and update.
 */
final class ApiFrontDispatcher extends Dispatcher {

    private static final Pattern NAMESPACED = Pattern.compile(
            "^/(?:api/v1|apis/[^/]+/v1)/namespaces/([^/]+)/([^/]+)(?:/([^/]+))?(/status)?$");
    private static final Pattern NAMESPACE = Pattern.compile("^/api/v1/namespaces(?:/([^/]+))?$");

    private final KubernetesCrudDispatcher crud;
    private final ServiceAllocator services;
    private final ObjectMapper json = new ObjectMapper();

    ApiFrontDispatcher(KubernetesCrudDispatcher crud, ServiceAllocator services) {
        this.crud = crud;
        this.services = services;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        if (request.method() == HttpMethod.GET) {
            Optional<String> discovery = DiscoveryDocuments.forPath(bare);
            if (discovery.isPresent()) {
                return json(200, discovery.get());
            }
            if (bare.startsWith("/openapi")) {
                return json(404, status(404, "NotFound", "the in-box API server publishes no OpenAPI documents"));
            }
        }
        RecordedRequest forwarded = request;
        String deletedService = null;
        try {
            if (request.method() == HttpMethod.POST || request.method() == HttpMethod.PUT) {
                forwarded = admit(request, bare);
            } else if (request.method() == HttpMethod.DELETE) {
                Matcher m = NAMESPACED.matcher(bare);
                if (m.matches() && m.group(2).equals("services") && m.group(3) != null) {
                    deletedService = m.group(1) + "/" + m.group(3);
                }
            }
        } catch (ServiceAllocator.Rejected e) {
            return json(422, status(422, "Invalid", e.getMessage()));
        } catch (IOException | RuntimeException e) {
            return json(400, status(400, "BadRequest", "cannot read the request body: " + e.getMessage()));
        }
        MockResponse response = crud.dispatch(forwarded);
        if (deletedService != null && response.code() == 200) {
            services.release(deletedService);
        }
        if (response.getWebSocketListener() == null && response.header("Content-Type") == null) {
            response.setHeader("Content-Type", "application/json");
        }
        return response;
    }

    /** Applies defaults and allocations to a create or update; returns the request to store. */
    private RecordedRequest admit(RecordedRequest request, String path) throws IOException, ServiceAllocator.Rejected {
        // Reading the body consumes the request's buffer: from here on, forward a copy.
        String body = request.getUtf8Body();
        if (body == null || body.isBlank()) {
            return withBody(request, body == null ? "" : body);
        }
        Matcher namespace = NAMESPACE.matcher(path);
        Matcher namespaced = NAMESPACED.matcher(path);
        String kind;
        if (namespace.matches()) {
            kind = "namespaces";
        } else if (namespaced.matches() && namespaced.group(4) == null) {
            kind = namespaced.group(2);
        } else {
            return withBody(request, body);
        }
        if (!kind.equals("namespaces") && !kind.equals("pods") && !kind.equals("services") && !kind.equals("networkpolicies")) {
            return withBody(request, body);
        }
        ObjectNode object = (ObjectNode) json.readTree(body);
        switch (kind) {
            case "namespaces" -> ApiAdmission.defaultNamespace(object);
            case "pods" -> ApiAdmission.defaultPod(object);
            case "networkpolicies" -> ApiAdmission.defaultNetworkPolicy(object);
            case "services" -> {
                ApiAdmission.defaultService(object);
                String name = namespaced.group(3) != null ? namespaced.group(3) : object.path("metadata").path("name").asText();
                services.allocate(namespaced.group(1) + "/" + name, object);
            }
            default -> throw new IllegalStateException(kind);
        }
        return withBody(request, json.writeValueAsString(object));
    }

    private static RecordedRequest withBody(RecordedRequest request, String body) {
        return new RecordedRequest(request.getHttpVersion(), request.method(), request.getPath(), request.getHeaders(),
                new Buffer().writeUtf8(body));
    }

    private String status(int code, String reason, String message) {
        ObjectNode status = json.createObjectNode();
        status.put("kind", "Status").put("apiVersion", "v1").put("status", "Failure").put("message", message)
                .put("reason", reason).put("code", code);
        return status.toString();
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
    }
}
