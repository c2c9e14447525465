package dev.jute.policy;

/** "Rule #{@code ruleIndex} of the {@code direction} rules of {@code policy}": what allowed a connection. */
public record RuleMatch(ObjectRef policy, Direction direction, int ruleIndex) {

    @Override
    public String toString() {
        return policy + " " + direction.apiName().toLowerCase(java.util.Locale.ROOT) + "[" + ruleIndex + "]";
    }
}
