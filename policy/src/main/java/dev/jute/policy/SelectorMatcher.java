package dev.jute.policy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A compiled Kubernetes label selector ({@code metav1.LabelSelector}): every requirement must hold.
 * An empty selector matches every label set. Jute matches selectors itself (DESIGN.md §4); the
 * agent's informers and this module share this one implementation.
 */
public final class SelectorMatcher {

    /** Selector operators as spelled in {@code matchExpressions}. */
    public enum Operator {
        IN("In"), NOT_IN("NotIn"), EXISTS("Exists"), DOES_NOT_EXIST("DoesNotExist");

        private final String apiName;

        Operator(String apiName) {
            this.apiName = apiName;
        }

        public String apiName() {
            return apiName;
        }

        static Operator parse(String text) {
            for (Operator operator : values()) {
                if (operator.apiName.equals(text)) {
                    return operator;
                }
            }
            return null;
        }
    }

    /** One requirement: {@code key operator values}. */
    public record Requirement(String key, Operator operator, Set<String> values) {

        public Requirement {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operator, "operator");
            values = Set.copyOf(values);
        }

        /** Kubernetes semantics: NotIn also matches when the key is absent. */
        public boolean matches(Map<String, String> labels) {
            String value = labels.get(key);
            return switch (operator) {
                case IN -> value != null && values.contains(value);
                case NOT_IN -> value == null || !values.contains(value);
                case EXISTS -> value != null;
                case DOES_NOT_EXIST -> value == null;
            };
        }

        @Override
        public String toString() {
            return switch (operator) {
                case IN -> values.size() == 1 ? key + "=" + values.iterator().next() : key + " in " + sorted(values);
                case NOT_IN -> key + " notin " + sorted(values);
                case EXISTS -> key;
                case DOES_NOT_EXIST -> "!" + key;
            };
        }
    }

    private static final SelectorMatcher EVERYTHING = new SelectorMatcher(List.of());

    private final List<Requirement> requirements;

    private SelectorMatcher(List<Requirement> requirements) {
        this.requirements = List.copyOf(requirements);
    }

    /** The empty selector: matches every label set. */
    public static SelectorMatcher everything() {
        return EVERYTHING;
    }

    /** A selector made only of {@code matchLabels}. */
    public static SelectorMatcher ofLabels(Map<String, String> matchLabels) {
        List<Requirement> requirements = new ArrayList<>();
        new TreeMap<>(matchLabels).forEach((k, v) -> requirements.add(new Requirement(k, Operator.IN, Set.of(v))));
        return new SelectorMatcher(requirements);
    }

    public static SelectorMatcher of(List<Requirement> requirements) {
        return requirements.isEmpty() ? EVERYTHING : new SelectorMatcher(requirements);
    }

    /**
     * Compiles an API selector; {@code null} is treated as the empty selector, as the API does for
     * {@code spec.podSelector}. Callers that give null a different meaning (a peer's selectors)
     * must check for it first.
     *
     * @throws IllegalArgumentException if {@link #validate} reports problems
     */
    public static SelectorMatcher of(LabelSelector selector) {
        if (selector == null) {
            return EVERYTHING;
        }
        List<ValidationProblem> problems = validate(selector, "selector");
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid label selector: " + problems);
        }
        List<Requirement> requirements = new ArrayList<>();
        if (selector.getMatchLabels() != null) {
            new TreeMap<>(selector.getMatchLabels()).forEach(
                    (k, v) -> requirements.add(new Requirement(k, Operator.IN, Set.of(v))));
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement expression : selector.getMatchExpressions()) {
                List<String> values = expression.getValues() == null ? List.of() : expression.getValues();
                requirements.add(new Requirement(expression.getKey(), Operator.parse(expression.getOperator()),
                        Set.copyOf(values)));
            }
        }
        return of(requirements);
    }

    /** The problems the API server would report for this selector, with field paths under {@code field}. */
    public static List<ValidationProblem> validate(LabelSelector selector, String field) {
        List<ValidationProblem> problems = new ArrayList<>();
        if (selector == null) {
            return problems;
        }
        if (selector.getMatchLabels() != null) {
            selector.getMatchLabels().forEach((key, value) -> {
                String path = field + ".matchLabels[" + key + "]";
                LabelSyntax.checkKey(key).ifPresent(m -> problems.add(new ValidationProblem(path, m)));
                LabelSyntax.checkValue(value).ifPresent(m -> problems.add(new ValidationProblem(path, m)));
            });
        }
        List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
        for (int i = 0; expressions != null && i < expressions.size(); i++) {
            LabelSelectorRequirement expression = expressions.get(i);
            String path = field + ".matchExpressions[" + i + "]";
            if (expression == null) {
                problems.add(new ValidationProblem(path, "must not be null"));
                continue;
            }
            LabelSyntax.checkKey(expression.getKey()).ifPresent(m -> problems.add(new ValidationProblem(path + ".key", m)));
            List<String> values = expression.getValues() == null ? List.of() : expression.getValues();
            Operator operator = Operator.parse(expression.getOperator());
            if (operator == null) {
                problems.add(new ValidationProblem(path + ".operator", "'" + expression.getOperator()
                        + "' is not a valid operator; expected one of In, NotIn, Exists, DoesNotExist"));
                continue;
            }
            switch (operator) {
                case IN, NOT_IN -> {
                    if (values.isEmpty()) {
                        problems.add(new ValidationProblem(path + ".values",
                                "must be non-empty when operator is " + operator.apiName()));
                    }
                    for (int v = 0; v < values.size(); v++) {
                        int index = v;
                        LabelSyntax.checkValue(values.get(v)).ifPresent(
                                m -> problems.add(new ValidationProblem(path + ".values[" + index + "]", m)));
                    }
                }
                case EXISTS, DOES_NOT_EXIST -> {
                    if (!values.isEmpty()) {
                        problems.add(new ValidationProblem(path + ".values",
                                "must be empty when operator is " + operator.apiName()));
                    }
                }
            }
        }
        return problems;
    }

    public boolean matches(Map<String, String> labels) {
        for (Requirement requirement : requirements) {
            if (!requirement.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    /** True for the empty selector, which matches everything. */
    public boolean isEverything() {
        return requirements.isEmpty();
    }

    public List<Requirement> requirements() {
        return requirements;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SelectorMatcher other && Set.copyOf(requirements).equals(Set.copyOf(other.requirements));
    }

    @Override
    public int hashCode() {
        return Set.copyOf(requirements).hashCode();
    }

    /** The kubectl {@code -l} spelling; {@code <all>} for the empty selector. */
    @Override
    public String toString() {
        return requirements.isEmpty() ? "<all>"
                : requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
    }

    private static String sorted(Set<String> values) {
        return "(" + String.join(",", new TreeSet<>(values)) + ")";
    }
}
