package dev.jute.tests.bgp;

import dev.jute.agent.bgp.BgpCli;
import dev.jute.inbox.bgp.BgpLab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Asks an agent's admin socket until its sessions are up. */
final class BgpCliProbe {

    private BgpCliProbe() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> awaitAllEstablished(Path admin, int peers, Duration timeout) {
        Map<String, Object>[] last = new Map[1];
        BgpLab.await(peers + " sessions established", timeout, () -> {
            try {
                last[0] = BgpCli.ask(admin, "bgp-peers");
            } catch (Exception e) {
                return false;
            }
            List<Map<String, Object>> list = (List<Map<String, Object>>) last[0].get("peers");
            return list.size() == peers && list.stream().allMatch(p -> "ESTABLISHED".equals(p.get("state")));
        }, () -> String.valueOf(last[0]));
        return last[0];
    }
}
