package dev.jute.agent.policy;

import java.nio.file.Path;
import java.util.List;

/**
 * The agent's NetworkPolicy options.
 *
 * @param disabled    {@code --no-policy}: enforce nothing, load no BPF program
 * @param pinDirectory {@code --bpf-pin-dir}: where the maps and programs are pinned; null for
 *                    {@code /sys/fs/bpf/jute/<node>}
 * @param stateFile   {@code --policy-state}: cluster state from a file of manifests (static mode)
 */
public record PolicyOptions(boolean disabled, Path pinDirectory, Path stateFile) {

    public static final String USAGE = """
              NetworkPolicy (eBPF; on by default where a BPF filesystem is mounted):
              --bpf-pin-dir DIR    pin the policy maps and programs here (must be on a BPF filesystem;
                                   default /sys/fs/bpf/jute/<node>, mounted in in-cluster mode)
              --policy-state FILE  static mode: Namespaces, Pods and NetworkPolicies from this file of
                                   manifests, watched for changes (try policies without a cluster)
              --no-policy          do not enforce NetworkPolicy
            """;

    public static PolicyOptions defaults() {
        return new PolicyOptions(false, null, null);
    }

    /** Whether the user asked for enforcement explicitly (then being unable to enforce is an error). */
    public boolean explicitlyRequested() {
        return pinDirectory != null || stateFile != null;
    }

    /** Collects the policy options while the agent's own parser walks its arguments. */
    public static final class Parser {
        private boolean disabled;
        private Path pinDirectory;
        private Path stateFile;

        /** @return how many arguments the option at {@code index} used (1 or 2), or 0 if it is not a policy option */
        public int accept(List<String> args, int index) {
            String option = args.get(index);
            switch (option) {
                case "--no-policy" -> {
                    disabled = true;
                    return 1;
                }
                case "--bpf-pin-dir", "--policy-state" -> {
                    if (index + 1 >= args.size()) {
                        throw new IllegalArgumentException(option + " needs a value");
                    }
                    Path value = Path.of(args.get(index + 1));
                    if (option.equals("--bpf-pin-dir")) {
                        pinDirectory = value;
                    } else {
                        stateFile = value;
                    }
                    return 2;
                }
                default -> {
                    return 0;
                }
            }
        }

        public PolicyOptions build() {
            if (disabled && (pinDirectory != null || stateFile != null)) {
                throw new IllegalArgumentException("--no-policy excludes --bpf-pin-dir and --policy-state");
            }
            return new PolicyOptions(disabled, pinDirectory, stateFile);
        }
    }
}
