package dev.jute.policy;

/**
 * One side of a connection: a pod the cluster knows ({@link Endpoint}) or an address outside the
 * pod network ({@link ExternalAddress}). Only pods have policies; an external side is never
 * isolated and is matched only by ipBlock peers.
 */
public sealed interface Party permits Endpoint, ExternalAddress {

    /** How the side is printed in an explanation. */
    String describe();
}
