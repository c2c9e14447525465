package dev.jute.bgp.fsm;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.PeerConfig;
import dev.jute.bgp.message.BgpDecodeException;
import dev.jute.bgp.message.BgpMessage;
import dev.jute.bgp.message.Capability;
import dev.jute.bgp.message.ErrorCodes;
import dev.jute.bgp.message.KeepaliveMessage;
import dev.jute.bgp.message.NotificationMessage;
import dev.jute.bgp.message.OpenMessage;
import dev.jute.bgp.message.RouteRefreshMessage;
import dev.jute.bgp.message.UpdateMessage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The RFC 4271 finite state machine for one neighbour. Up to two TCP connections may be in
 * flight at once (ours and theirs); each runs the OPEN exchange on its own and the §6.8 collision
 * rule decides which survives. The reported state is that of the most advanced connection.
 *
 * <p>Not thread-safe: every method must run on the one thread that owns this FSM (the speaker's
 * event loop, or the test thread).
 */
public final class PeerFsm {
    /** Hold time while waiting for the peer's OPEN (RFC 4271 §8.2.2 suggests 4 minutes). */
    static final Duration OPEN_HOLD_TIME = Duration.ofMinutes(4);
    /** The first retry after a connect that failed fast; doubles per failure up to the connect-retry time. */
    static final Duration FAST_RETRY = Duration.ofSeconds(1);

    private final SpeakerSettings settings;
    private final PeerConfig config;
    private final Timers timers;
    private final Connector connector;
    private final SessionListener listener;

    /** One connection and where it is in the OPEN exchange. */
    private final class Attempt {
        final BgpConnection connection;
        SessionState stage = SessionState.OPEN_SENT;
        OpenMessage received;
        NegotiatedSession negotiated;
        Timers.Timer holdTimer;
        Timers.Timer keepaliveTimer;

        Attempt(BgpConnection connection) {
            this.connection = connection;
        }

        void cancelTimers() {
            if (holdTimer != null) {
                holdTimer.cancel();
                holdTimer = null;
            }
            if (keepaliveTimer != null) {
                keepaliveTimer.cancel();
                keepaliveTimer = null;
            }
        }
    }

    private final List<Attempt> attempts = new ArrayList<>(2);
    private boolean started;
    private Runnable pendingConnect;
    private Timers.Timer connectRetryTimer;
    /** Connects in a row that failed before the connect-retry timer fired (reset when a session is up). */
    private int fastFailures;
    private Timers.Timer idleHoldTimer;
    private SessionState reportedState = SessionState.IDLE;
    private long establishedAtMillis;
    private String lastError;
    private int establishedTransitions;

    public PeerFsm(SpeakerSettings settings, PeerConfig config, Timers timers, Connector connector,
                   SessionListener listener) {
        this.settings = settings;
        this.config = config;
        this.timers = timers;
        this.connector = connector;
        this.listener = listener;
    }

    public PeerConfig config() {
        return config;
    }

    public boolean internal() {
        return config.remoteAs() == settings.localAs();
    }

    public SessionState state() {
        SessionState best = null;
        for (Attempt a : attempts) {
            if (best == null || a.stage.compareTo(best) > 0) {
                best = a.stage;
            }
        }
        if (best != null) {
            return best;
        }
        if (pendingConnect != null) {
            return SessionState.CONNECT;
        }
        return started ? SessionState.ACTIVE : SessionState.IDLE;
    }

    /** The established session, or {@code null}. */
    public NegotiatedSession session() {
        Attempt a = establishedAttempt();
        return a == null ? null : a.negotiated;
    }

    public long establishedAtMillis() {
        return establishedAtMillis;
    }

    public String lastError() {
        return lastError;
    }

    public int establishedTransitions() {
        return establishedTransitions;
    }

    // ---------------------------------------------------------------- administrative events

    /** ManualStart / AutomaticStart: leave Idle and begin connecting (or waiting, if passive). */
    public void start() {
        if (started) {
            return;
        }
        started = true;
        cancel(idleHoldTimer);
        idleHoldTimer = null;
        if (!config.passive()) {
            initiateConnect();
        }
        restartConnectRetryTimer();
        reportState();
    }

    /** ManualStop: send Cease to every connection and return to Idle without restarting. */
    public void stop(int ceaseSubcode, String reason) {
        stopWith(new NotificationMessage(ErrorCodes.CEASE, ceaseSubcode), reason);
    }

    /**
     * Drops every connection without a NOTIFICATION and stays Idle: to peers this looks like a
     * restart, so those that negotiated graceful restart keep our routes (RFC 4724).
     */
    public void abort(String reason) {
        stopWith(null, reason);
    }

    private void stopWith(NotificationMessage notification, String reason) {
        started = false;
        cancel(idleHoldTimer);
        idleHoldTimer = null;
        lastError = reason;
        for (Attempt a : List.copyOf(attempts)) {
            dropAttempt(a, notification, false);
        }
        stopConnecting();
        reportState();
    }

    // ---------------------------------------------------------------- transport events

    public void outboundConnected(BgpConnection connection) {
        pendingConnect = null;
        if (!started || establishedAttempt() != null) {
            connection.sendAndClose(new NotificationMessage(ErrorCodes.CEASE, ErrorCodes.CEASE_CONNECTION_COLLISION));
            reportState();
            return;
        }
        beginAttempt(connection);
    }

    public void outboundFailed(Throwable cause) {
        pendingConnect = null;
        lastError = "connect failed: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage());
        // A connect that fails before the connect-retry timer fires was refused or unreachable, which is
        // what a node whose agent is still starting answers. Waiting out the whole connect-retry time
        // would keep the session down for seconds after both sides listen (in a mesh only one side
        // dials), so retry after 1 s, doubling per failure, never later than the connect-retry timer.
        Duration backoff = FAST_RETRY.multipliedBy(1L << Math.min(fastFailures, 16));
        if (started && !config.passive() && backoff.compareTo(settings.connectRetry()) < 0) {
            fastFailures++;
            cancel(connectRetryTimer);
            connectRetryTimer = timers.schedule(backoff, this::connectRetryExpired);
        }
        reportState(); // Connect -> Active; a retry timer is running
    }

    /** An incoming connection from this peer's address, already matched by the listener. */
    public void inboundConnection(BgpConnection connection) {
        if (!started) {
            connection.sendAndClose(new NotificationMessage(ErrorCodes.CEASE, ErrorCodes.CEASE_CONNECTION_REJECTED));
            return;
        }
        if (establishedAttempt() != null) {
            // RFC 4271 §6.8: a connection colliding with an Established session is closed.
            connection.sendAndClose(new NotificationMessage(ErrorCodes.CEASE, ErrorCodes.CEASE_CONNECTION_COLLISION));
            return;
        }
        for (Attempt a : List.copyOf(attempts)) {
            if (!a.connection.outbound()) {
                // The peer gave up on its previous connection and opened a new one.
                dropAttempt(a, new NotificationMessage(ErrorCodes.CEASE, ErrorCodes.CEASE_CONNECTION_COLLISION), false);
            }
        }
        beginAttempt(connection);
    }

    private void beginAttempt(BgpConnection connection) {
        Attempt a = new Attempt(connection);
        attempts.add(a);
        cancel(connectRetryTimer);
        connectRetryTimer = null;
        connection.send(ourOpen());
        a.holdTimer = timers.schedule(OPEN_HOLD_TIME, () -> holdTimerExpired(a));
        reportState();
    }

    public void messageReceived(BgpConnection connection, BgpMessage message) {
        Attempt a = attemptFor(connection);
        if (a == null) {
            return;
        }
        switch (message) {
            case OpenMessage open -> openReceived(a, open);
            case KeepaliveMessage k -> keepaliveReceived(a);
            case UpdateMessage update -> {
                if (a.stage != SessionState.ESTABLISHED) {
                    fsmError(a, message);
                    return;
                }
                restartHoldTimer(a);
                listener.updateReceived(this, update);
            }
            case RouteRefreshMessage refresh -> {
                if (a.stage != SessionState.ESTABLISHED) {
                    fsmError(a, message);
                    return;
                }
                listener.routeRefreshReceived(this, refresh);
            }
            case NotificationMessage n -> {
                lastError = "received " + n.describe();
                failAttempt(a, null, false);
            }
        }
    }

    /** A message could not be decoded: send its NOTIFICATION and reset (RFC 7606 "session reset"). */
    public void decodeFailed(BgpConnection connection, BgpDecodeException error) {
        Attempt a = attemptFor(connection);
        if (a == null) {
            connection.sendAndClose(error.toNotification());
            return;
        }
        lastError = "sent " + error.toNotification().describe() + ": " + error.getMessage();
        failAttempt(a, error.toNotification(), false);
    }

    /**
     * Resets an established session because of an error found after decoding (for example a
     * route that must not be accepted); used by the RIB side.
     */
    public void resetSession(NotificationMessage notification, String reason) {
        Attempt a = establishedAttempt();
        if (a != null) {
            lastError = "sent " + notification.describe() + ": " + reason;
            failAttempt(a, notification, false);
        }
    }

    /** The TCP connection closed or failed underneath us. */
    public void connectionClosed(BgpConnection connection) {
        Attempt a = attemptFor(connection);
        if (a == null) {
            return;
        }
        if (lastError == null || a.stage == SessionState.ESTABLISHED) {
            lastError = "connection closed by peer in " + a.stage;
        }
        failAttempt(a, null, a.stage == SessionState.ESTABLISHED);
    }

    /** Sends on the established session; ignored when there is none. */
    public void send(BgpMessage message) {
        Attempt a = establishedAttempt();
        if (a != null) {
            a.connection.send(message);
        }
    }

    // ---------------------------------------------------------------- OPEN exchange

    private OpenMessage ourOpen() {
        List<Capability> caps = new ArrayList<>();
        for (AddressFamily f : AddressFamily.values()) {
            if (settings.families().contains(f)) {
                caps.add(new Capability.Multiprotocol(f.afi(), AddressFamily.SAFI_UNICAST));
            }
        }
        caps.add(new Capability.RouteRefresh());
        caps.add(new Capability.FourOctetAs(settings.localAs()));
        if (settings.gracefulRestartTime() != null) {
            List<Capability.GracefulRestart.Family> families = new ArrayList<>();
            for (AddressFamily f : AddressFamily.values()) {
                if (settings.families().contains(f)) {
                    families.add(new Capability.GracefulRestart.Family(f.afi(), AddressFamily.SAFI_UNICAST,
                            settings.restarting() ? Capability.GracefulRestart.FAMILY_FORWARDING_PRESERVED : 0));
                }
            }
            caps.add(new Capability.GracefulRestart(settings.restarting() ? Capability.GracefulRestart.FLAG_RESTARTING : 0,
                    (int) settings.gracefulRestartTime().toSeconds(), families));
        }
        return OpenMessage.of(settings.localAs(), settings.holdTimeSeconds(), settings.routerId(), caps);
    }

    private void openReceived(Attempt a, OpenMessage open) {
        if (a.stage != SessionState.OPEN_SENT) {
            fsmError(a, open);
            return;
        }
        NotificationMessage problem = validateOpen(open);
        if (problem != null) {
            lastError = "sent " + problem.describe();
            failAttempt(a, problem, false);
            return;
        }
        a.received = open;
        for (Attempt other : List.copyOf(attempts)) {
            if (other != a) {
                Attempt loser = collisionLoser(a, other, open.bgpIdentifier());
                dropAttempt(loser, new NotificationMessage(ErrorCodes.CEASE, ErrorCodes.CEASE_CONNECTION_COLLISION), false);
                if (loser == a) {
                    reportState();
                    return;
                }
            }
        }
        a.negotiated = negotiate(a, open);
        a.connection.useFourOctetAs(a.negotiated.fourOctetAs());
        a.connection.send(KeepaliveMessage.INSTANCE);
        a.stage = SessionState.OPEN_CONFIRM;
        restartHoldTimer(a);
        scheduleKeepalive(a);
        reportState();
    }

    /**
     * RFC 4271 §6.8: if the local identifier is lower, keep the connection the remote side opened;
     * otherwise keep ours. Both connections lead to the same peer, so its identifier is known from
     * whichever OPEN arrived.
     */
    private Attempt collisionLoser(Attempt a, Attempt other, long remoteId) {
        boolean keepRemoteInitiated = Long.compare(settings.routerId(), remoteId) < 0;
        Attempt remoteInitiated = a.connection.outbound() ? other : a;
        Attempt localInitiated = a.connection.outbound() ? a : other;
        if (remoteInitiated == localInitiated) {
            // Both connections in the same direction: keep the newer one (the peer restarted).
            return other;
        }
        return keepRemoteInitiated ? localInitiated : remoteInitiated;
    }

    private NotificationMessage validateOpen(OpenMessage open) {
        long peerAs = open.effectiveAs();
        Capability.FourOctetAs four = open.capability(Capability.FourOctetAs.class);
        boolean asConsistent = four == null || open.myAs() == OpenMessage.AS_TRANS || open.myAs() == four.as();
        if (peerAs != config.remoteAs() || !asConsistent) {
            return new NotificationMessage(ErrorCodes.OPEN_MESSAGE_ERROR, ErrorCodes.OPEN_BAD_PEER_AS,
                    new byte[] {(byte) (open.myAs() >>> 8), (byte) open.myAs()});
        }
        if (open.bgpIdentifier() == settings.routerId() && internal()) {
            // RFC 6286 §2.1: identifiers must differ within an AS.
            return new NotificationMessage(ErrorCodes.OPEN_MESSAGE_ERROR, ErrorCodes.OPEN_BAD_BGP_IDENTIFIER);
        }
        if (open.holdTime() == 1 || open.holdTime() == 2) {
            return new NotificationMessage(ErrorCodes.OPEN_MESSAGE_ERROR, ErrorCodes.OPEN_UNACCEPTABLE_HOLD_TIME);
        }
        return null;
    }

    private NegotiatedSession negotiate(Attempt a, OpenMessage open) {
        int hold = Math.min(settings.holdTimeSeconds(), open.holdTime());
        boolean four = open.capability(Capability.FourOctetAs.class) != null;
        Set<AddressFamily> peerFamilies = EnumSet.noneOf(AddressFamily.class);
        boolean anyMp = false;
        for (Capability c : open.capabilities()) {
            if (c instanceof Capability.Multiprotocol mp) {
                anyMp = true;
                AddressFamily f = AddressFamily.fromAfiSafi(mp.afi(), mp.safi());
                if (f != null) {
                    peerFamilies.add(f);
                }
            }
        }
        if (!anyMp) {
            peerFamilies.add(AddressFamily.IPV4); // RFC 4760: no MP capability means IPv4 unicast only
        }
        peerFamilies.retainAll(settings.families());
        return new NegotiatedSession(open.effectiveAs(), open.bgpIdentifier(), hold, four, peerFamilies,
                open.capability(Capability.RouteRefresh.class) != null,
                open.capability(Capability.GracefulRestart.class),
                a.connection.localAddress(), a.connection.remoteAddress(), open);
    }

    private void keepaliveReceived(Attempt a) {
        switch (a.stage) {
            case OPEN_CONFIRM -> {
                a.stage = SessionState.ESTABLISHED;
                restartHoldTimer(a);
                for (Attempt other : List.copyOf(attempts)) {
                    if (other != a) {
                        dropAttempt(other, new NotificationMessage(ErrorCodes.CEASE, ErrorCodes.CEASE_CONNECTION_COLLISION), false);
                    }
                }
                establishedAtMillis = timers.nowMillis();
                establishedTransitions++;
                fastFailures = 0;
                lastError = null;
                reportState();
                listener.established(this, a.negotiated);
            }
            case ESTABLISHED -> restartHoldTimer(a);
            default -> fsmError(a, KeepaliveMessage.INSTANCE);
        }
    }

    /** RFC 6608 subcodes: which state received the unexpected message. */
    private void fsmError(Attempt a, BgpMessage unexpected) {
        int subcode = switch (a.stage) {
            case OPEN_SENT -> 1;
            case OPEN_CONFIRM -> 2;
            case ESTABLISHED -> 3;
            default -> 0;
        };
        lastError = "sent FSM error: unexpected message type " + unexpected.type() + " in " + a.stage;
        failAttempt(a, new NotificationMessage(ErrorCodes.FSM_ERROR, subcode), false);
    }

    // ---------------------------------------------------------------- timers

    private void restartHoldTimer(Attempt a) {
        cancel(a.holdTimer);
        a.holdTimer = null;
        int hold = a.negotiated == null ? (int) OPEN_HOLD_TIME.toSeconds() : a.negotiated.holdTimeSeconds();
        if (hold > 0) {
            a.holdTimer = timers.schedule(Duration.ofSeconds(hold), () -> holdTimerExpired(a));
        }
    }

    private void scheduleKeepalive(Attempt a) {
        int hold = a.negotiated.holdTimeSeconds();
        if (hold == 0) {
            return; // RFC 4271 §4.4: no KEEPALIVEs when the hold time is zero
        }
        Duration interval = Duration.ofMillis(Math.max(1000, hold * 1000L / 3));
        a.keepaliveTimer = timers.schedule(interval, () -> {
            if (attempts.contains(a)) {
                a.connection.send(KeepaliveMessage.INSTANCE);
                scheduleKeepalive(a);
            }
        });
    }

    private void holdTimerExpired(Attempt a) {
        if (!attempts.contains(a)) {
            return;
        }
        lastError = "hold timer expired in " + a.stage;
        failAttempt(a, new NotificationMessage(ErrorCodes.HOLD_TIMER_EXPIRED, 0), false);
    }

    private void restartConnectRetryTimer() {
        cancel(connectRetryTimer);
        connectRetryTimer = timers.schedule(settings.connectRetry(), this::connectRetryExpired);
    }

    private void connectRetryExpired() {
        connectRetryTimer = null;
        if (!started || !attempts.isEmpty()) {
            return;
        }
        if (!config.passive()) {
            stopConnecting();
            initiateConnect();
        }
        restartConnectRetryTimer();
        reportState();
    }

    private void initiateConnect() {
        pendingConnect = connector.connect(this);
    }

    private void stopConnecting() {
        if (pendingConnect != null) {
            Runnable abort = pendingConnect;
            pendingConnect = null;
            abort.run();
        }
        cancel(connectRetryTimer);
        connectRetryTimer = null;
    }

    // ---------------------------------------------------------------- failure handling

    /**
     * Ends one attempt after an error. If it was the last one the FSM falls back to Idle and,
     * unless stopped, restarts automatically after the idle hold time.
     */
    private void failAttempt(Attempt a, NotificationMessage notification, boolean gracefulCandidate) {
        dropAttempt(a, notification, gracefulCandidate);
        if (!attempts.isEmpty() || !started) {
            reportState();
            return;
        }
        started = false;
        stopConnecting();
        reportState();
        idleHoldTimer = timers.schedule(settings.idleHold(), () -> {
            idleHoldTimer = null;
            start();
        });
    }

    private void dropAttempt(Attempt a, NotificationMessage notification, boolean gracefulCandidate) {
        if (!attempts.remove(a)) {
            return;
        }
        a.cancelTimers();
        if (notification != null) {
            a.connection.sendAndClose(notification);
        } else {
            a.connection.close();
        }
        if (a.stage == SessionState.ESTABLISHED) {
            boolean graceful = gracefulCandidate && a.negotiated.gracefulRestart();
            reportState();
            listener.sessionDown(this, a.negotiated, graceful);
        }
    }

    private Attempt attemptFor(BgpConnection connection) {
        for (Attempt a : attempts) {
            if (a.connection == connection) {
                return a;
            }
        }
        return null;
    }

    private Attempt establishedAttempt() {
        for (Attempt a : attempts) {
            if (a.stage == SessionState.ESTABLISHED) {
                return a;
            }
        }
        return null;
    }

    private void reportState() {
        SessionState now = state();
        if (now != reportedState) {
            SessionState before = reportedState;
            reportedState = now;
            listener.stateChanged(this, before, now);
        }
    }

    private static void cancel(Timers.Timer timer) {
        if (timer != null) {
            timer.cancel();
        }
    }
}
