package dev.jute.ipam;

import java.io.IOException;

/** The store is already owned by another process (or already open in this one). */
public final class IpamStoreLockedException extends IOException {
    public IpamStoreLockedException(String message) {
        super(message);
    }
}
