package dev.jute.bgp.message;

/** NOTIFICATION error codes and subcodes (RFC 4271 §4.5, RFC 4486, RFC 5492). */
public final class ErrorCodes {
    private ErrorCodes() {
    }

    public static final int MESSAGE_HEADER_ERROR = 1;
    public static final int HEADER_CONNECTION_NOT_SYNCHRONIZED = 1;
    public static final int HEADER_BAD_MESSAGE_LENGTH = 2;
    public static final int HEADER_BAD_MESSAGE_TYPE = 3;

    public static final int OPEN_MESSAGE_ERROR = 2;
    public static final int OPEN_UNSUPPORTED_VERSION = 1;
    public static final int OPEN_BAD_PEER_AS = 2;
    public static final int OPEN_BAD_BGP_IDENTIFIER = 3;
    public static final int OPEN_UNSUPPORTED_OPTIONAL_PARAMETER = 4;
    public static final int OPEN_UNACCEPTABLE_HOLD_TIME = 6;
    public static final int OPEN_UNSUPPORTED_CAPABILITY = 7;

    public static final int UPDATE_MESSAGE_ERROR = 3;
    public static final int UPDATE_MALFORMED_ATTRIBUTE_LIST = 1;
    public static final int UPDATE_UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE = 2;
    public static final int UPDATE_MISSING_WELL_KNOWN_ATTRIBUTE = 3;
    public static final int UPDATE_ATTRIBUTE_FLAGS_ERROR = 4;
    public static final int UPDATE_ATTRIBUTE_LENGTH_ERROR = 5;
    public static final int UPDATE_INVALID_ORIGIN = 6;
    public static final int UPDATE_INVALID_NEXT_HOP = 8;
    public static final int UPDATE_OPTIONAL_ATTRIBUTE_ERROR = 9;
    public static final int UPDATE_INVALID_NETWORK_FIELD = 10;
    public static final int UPDATE_MALFORMED_AS_PATH = 11;

    public static final int HOLD_TIMER_EXPIRED = 4;
    public static final int FSM_ERROR = 5;

    public static final int CEASE = 6;
    public static final int CEASE_MAX_PREFIXES = 1;
    public static final int CEASE_ADMINISTRATIVE_SHUTDOWN = 2;
    public static final int CEASE_PEER_DECONFIGURED = 3;
    public static final int CEASE_ADMINISTRATIVE_RESET = 4;
    public static final int CEASE_CONNECTION_REJECTED = 5;
    public static final int CEASE_CONNECTION_COLLISION = 7;

    public static final int ROUTE_REFRESH_MESSAGE_ERROR = 7;

    public static String describe(int code, int subcode) {
        String c = switch (code) {
            case MESSAGE_HEADER_ERROR -> "message header error";
            case OPEN_MESSAGE_ERROR -> "OPEN message error";
            case UPDATE_MESSAGE_ERROR -> "UPDATE message error";
            case HOLD_TIMER_EXPIRED -> "hold timer expired";
            case FSM_ERROR -> "finite state machine error";
            case CEASE -> "cease";
            case ROUTE_REFRESH_MESSAGE_ERROR -> "ROUTE-REFRESH message error";
            default -> "error code " + code;
        };
        String s = switch (code) {
            case MESSAGE_HEADER_ERROR -> switch (subcode) {
                case 1 -> "connection not synchronized";
                case 2 -> "bad message length";
                case 3 -> "bad message type";
                default -> null;
            };
            case OPEN_MESSAGE_ERROR -> switch (subcode) {
                case 1 -> "unsupported version number";
                case 2 -> "bad peer AS";
                case 3 -> "bad BGP identifier";
                case 4 -> "unsupported optional parameter";
                case 6 -> "unacceptable hold time";
                case 7 -> "unsupported capability";
                default -> null;
            };
            case UPDATE_MESSAGE_ERROR -> switch (subcode) {
                case 1 -> "malformed attribute list";
                case 2 -> "unrecognized well-known attribute";
                case 3 -> "missing well-known attribute";
                case 4 -> "attribute flags error";
                case 5 -> "attribute length error";
                case 6 -> "invalid ORIGIN attribute";
                case 8 -> "invalid NEXT_HOP attribute";
                case 9 -> "optional attribute error";
                case 10 -> "invalid network field";
                case 11 -> "malformed AS_PATH";
                default -> null;
            };
            case CEASE -> switch (subcode) {
                case 1 -> "maximum number of prefixes reached";
                case 2 -> "administrative shutdown";
                case 3 -> "peer de-configured";
                case 4 -> "administrative reset";
                case 5 -> "connection rejected";
                case 6 -> "other configuration change";
                case 7 -> "connection collision resolution";
                case 8 -> "out of resources";
                case 9 -> "hard reset";
                default -> null;
            };
            default -> null;
        };
        if (s == null) {
            return subcode == 0 ? c : c + " / subcode " + subcode;
        }
        return c + " / " + s;
    }
}
