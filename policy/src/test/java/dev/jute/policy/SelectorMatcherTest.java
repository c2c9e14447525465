package dev.jute.policy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.jute.policy.Fixtures.labels;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelectorMatcherTest {

    private static LabelSelector expression(String key, String operator, String... values) {
        return new LabelSelectorBuilder().addNewMatchExpression().withKey(key).withOperator(operator)
                .withValues(values).endMatchExpression().build();
    }

    @Test
    void emptySelectorMatchesEverything() {
        SelectorMatcher empty = SelectorMatcher.of(new LabelSelector());
        assertTrue(empty.isEverything());
        assertTrue(empty.matches(Map.of()));
        assertTrue(empty.matches(labels("any=thing")));
        assertTrue(SelectorMatcher.of((LabelSelector) null).matches(Map.of()));
    }

    @Test
    void matchLabelsNeedsEveryPair() {
        SelectorMatcher selector = SelectorMatcher.ofLabels(labels("app=web", "tier=front"));
        assertTrue(selector.matches(labels("app=web", "tier=front", "extra=1")));
        assertFalse(selector.matches(labels("app=web")));
        assertFalse(selector.matches(labels("app=web", "tier=back")));
    }

    @Test
    void inRequiresThePresenceOfOneOfTheValues() {
        SelectorMatcher in = SelectorMatcher.of(expression("pod", "In", "a", "b"));
        assertTrue(in.matches(labels("pod=a")));
        assertTrue(in.matches(labels("pod=b")));
        assertFalse(in.matches(labels("pod=c")));
        assertFalse(in.matches(Map.of()));
    }

    @Test
    void notInAlsoMatchesWhenTheKeyIsAbsent() {
        SelectorMatcher notIn = SelectorMatcher.of(expression("pod", "NotIn", "a"));
        assertFalse(notIn.matches(labels("pod=a")));
        assertTrue(notIn.matches(labels("pod=b")));
        assertTrue(notIn.matches(Map.of()));
    }

    @Test
    void existsAndDoesNotExistLookOnlyAtTheKey() {
        SelectorMatcher exists = SelectorMatcher.of(expression("pod", "Exists"));
        SelectorMatcher absent = SelectorMatcher.of(expression("pod", "DoesNotExist"));
        assertTrue(exists.matches(labels("pod=")));
        assertFalse(exists.matches(labels("other=1")));
        assertFalse(absent.matches(labels("pod=x")));
        assertTrue(absent.matches(labels("other=1")));
    }

    @Test
    void labelsAndExpressionsAreAnded() {
        LabelSelector selector = new LabelSelectorBuilder().withMatchLabels(labels("app=web"))
                .addNewMatchExpression().withKey("env").withOperator("NotIn").withValues("prod").endMatchExpression()
                .build();
        SelectorMatcher matcher = SelectorMatcher.of(selector);
        assertTrue(matcher.matches(labels("app=web", "env=dev")));
        assertTrue(matcher.matches(labels("app=web")));
        assertFalse(matcher.matches(labels("app=web", "env=prod")));
        assertFalse(matcher.matches(labels("env=dev")));
        assertEquals("app=web,env notin (prod)", matcher.toString());
    }

    @Test
    void unknownOperatorIsReported() {
        List<ValidationProblem> problems = SelectorMatcher.validate(expression("pod", "Equals", "a"), "sel");
        assertEquals(1, problems.size());
        assertEquals("sel.matchExpressions[0].operator", problems.getFirst().field());
        assertTrue(problems.getFirst().message().contains("'Equals'"), problems.toString());
        assertTrue(problems.getFirst().message().contains("In, NotIn, Exists, DoesNotExist"), problems.toString());
        assertThrows(IllegalArgumentException.class, () -> SelectorMatcher.of(expression("pod", "Equals", "a")));
    }

    @Test
    void inAndNotInNeedValuesExistsMustHaveNone() {
        assertOneProblem(expression("pod", "In"), "s.matchExpressions[0].values", "non-empty");
        assertOneProblem(expression("pod", "NotIn"), "s.matchExpressions[0].values", "non-empty");
        assertOneProblem(expression("pod", "Exists", "a"), "s.matchExpressions[0].values", "must be empty");
        assertOneProblem(expression("pod", "DoesNotExist", "a"), "s.matchExpressions[0].values", "must be empty");
    }

    @Test
    void badKeysAndValuesAreReported() {
        assertOneProblem(expression("bad key", "Exists"), "s.matchExpressions[0].key", "label key 'bad key'");
        assertOneProblem(expression("pod", "In", "not valid!"), "s.matchExpressions[0].values[0]", "'not valid!'");
        assertOneProblem(new LabelSelectorBuilder().withMatchLabels(Map.of("app", "-web")).build(),
                "s.matchLabels[app]", "'-web'");
        assertOneProblem(new LabelSelectorBuilder().withMatchLabels(Map.of("Bad_Prefix/name", "x")).build(),
                "s.matchLabels[Bad_Prefix/name]", "prefix");
        LabelSelector prefixed = new LabelSelectorBuilder().withMatchLabels(Map.of("kubernetes.io/metadata.name", "x")).build();
        assertEquals(List.of(), SelectorMatcher.validate(prefixed, "s"));
    }

    private static void assertOneProblem(LabelSelector selector, String field, String messagePart) {
        List<ValidationProblem> problems = SelectorMatcher.validate(selector, "s");
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(field, problems.getFirst().field());
        assertTrue(problems.getFirst().message().contains(messagePart), problems.toString());
    }
}
