package dev.jute.agent.policy;

import dev.jute.agent.Log;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Serves a {@link PolicyStateFile} and watches it (inotify through the JDK's watch service on its
 * directory, so editors that write a new file and rename it are seen too). A broken edit is logged
 * and the last good state stays in force.
 */
public final class PolicyStateFileSource implements Supplier<Optional<PolicyInputs>>, AutoCloseable {

    private static final Log LOG = Log.of("policy");

    private final Path file;
    private final WatchService watcher;
    private final Thread thread;
    private volatile PolicyInputs lastGood;

    private PolicyStateFileSource(Path file, WatchService watcher, PolicyInputs initial, Runnable onChange) {
        this.file = file;
        this.watcher = watcher;
        this.lastGood = initial;
        this.thread = Thread.ofPlatform().name("policy-state-file").daemon().unstarted(() -> watch(onChange));
    }

    /**
     * Reads the file once (it must be valid: a typo should stop the agent's start, not silently allow
     * everything) and watches it from then on, calling {@code onChange} after each change.
     */
    public static PolicyStateFileSource start(Path file, Runnable onChange) throws IOException {
        Path absolute = file.toAbsolutePath();
        PolicyInputs initial = PolicyStateFile.read(absolute);
        WatchService watcher = FileSystems.getDefault().newWatchService();
        absolute.getParent().register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        PolicyStateFileSource source = new PolicyStateFileSource(absolute, watcher, initial, onChange);
        source.thread.start();
        LOG.info("policy state from file", "file", absolute, "namespaces", initial.namespaces().size(),
                "pods", initial.pods().size(), "policies", initial.policies().size());
        return source;
    }

    @Override
    public Optional<PolicyInputs> get() {
        return Optional.of(lastGood);
    }

    private void watch(Runnable onChange) {
        while (true) {
            WatchKey key;
            try {
                key = watcher.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            boolean ours = key.pollEvents().stream().anyMatch(event -> event.context() instanceof Path changed
                    && changed.equals(file.getFileName()));
            key.reset();
            if (ours) {
                reload(onChange);
            }
        }
    }

    private void reload(Runnable onChange) {
        try {
            lastGood = PolicyStateFile.read(file);
            LOG.info("policy state file changed", "file", file, "pods", lastGood.pods().size(),
                    "policies", lastGood.policies().size());
            onChange.run();
        } catch (IOException | RuntimeException e) {
            // Mid-write, deleted, or a typo: keep enforcing the last good state.
            LOG.warn("cannot read the policy state file; keeping the last good state", "file", file,
                    "error", e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            LOG.warn("cannot close the file watcher", "error", e.getMessage());
        }
        thread.interrupt();
    }
}
