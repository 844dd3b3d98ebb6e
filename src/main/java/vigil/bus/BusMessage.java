package vigil.bus;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One D-Bus message in the wire format (the D-Bus specification, "Message Format"), as much of it as watching bus
 * names needs: method calls with string arguments out; method returns, errors and signals in, with a body of
 * strings and booleans. Everything Vigil sends is little-endian; what it reads may be either.
 *
 * @param type        {@link #METHOD_CALL}, {@link #METHOD_RETURN}, {@link #ERROR} or {@link #SIGNAL}
 * @param serial      the sender's serial
 * @param replySerial the serial of the call this answers, if it is a reply
 * @param member      the method or signal name, if any
 * @param errorName   the error's name, for an error
 * @param body        the body's values: a {@code String} for s, o and g, a {@code Boolean} for b, a {@code Long}
 *                    for u
 */
public record BusMessage(int type, long serial, OptionalLong replySerial, Optional<String> member,
                         Optional<String> errorName, List<Object> body) {
    public static final int METHOD_CALL = 1, METHOD_RETURN = 2, ERROR = 3, SIGNAL = 4;
    /** Nothing Vigil reads comes near this; a larger length means a broken stream, not a message to wait for. */
    static final int MAX_LENGTH = 1 << 20;
    private static final int PATH = 1, INTERFACE = 2, MEMBER = 3, ERROR_NAME = 4, REPLY_SERIAL = 5,
            DESTINATION = 6, SIGNATURE = 8;

    public BusMessage {
        body = List.copyOf(body);
    }

    /** Thrown for bytes that are no D-Bus message Vigil can read. */
    public static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    /**
     * A method call whose arguments are all strings, its header fields in the order PATH, INTERFACE, MEMBER,
     * DESTINATION, SIGNATURE (libdbus's order for such a call, so the bytes match what dbus-send writes).
     */
    public static byte[] methodCall(long serial, String destination, String path, String iface, String member,
                                    String... arguments) {
        Writer body = new Writer();
        for (String a : arguments) body.string(a);
        Writer m = new Writer();
        m.bytes((byte) 'l', (byte) METHOD_CALL, (byte) 0, (byte) 1);
        m.uint32(body.size());
        m.uint32(serial);
        Writer fields = new Writer();
        fields.field(PATH, "o", path);
        fields.field(INTERFACE, "s", iface);
        fields.field(MEMBER, "s", member);
        fields.field(DESTINATION, "s", destination);
        if (arguments.length > 0) fields.field(SIGNATURE, "g", "s".repeat(arguments.length));
        m.uint32(fields.size());
        m.raw(fields.toByteArray());
        m.pad(8);
        m.raw(body.toByteArray());
        return m.toByteArray();
    }

    /**
     * The total length of the message that starts {@code bytes}, once its first 16 bytes are there.
     *
     * @throws MalformedException if the lengths there are impossible
     */
    public static int length(byte[] bytes, int offset) throws MalformedException {
        ByteBuffer b = order(ByteBuffer.wrap(bytes, offset, 16).slice(), bytes[offset]);
        long body = Integer.toUnsignedLong(b.getInt(4));
        long fields = Integer.toUnsignedLong(b.getInt(12));
        long total = 16 + align(fields, 8) + body;
        if (total > MAX_LENGTH) throw new MalformedException("message of " + total + " bytes");
        return (int) total;
    }

    /** Reads one whole message of {@code length} bytes at {@code offset}. */
    public static BusMessage parse(byte[] bytes, int offset, int length) throws MalformedException {
        try {
            Reader r = new Reader(order(ByteBuffer.wrap(bytes, offset, length).slice(), bytes[offset]));
            r.buffer.position(1);
            int type = r.buffer.get();
            r.buffer.position(4);
            long bodyLength = r.uint32();
            long serial = r.uint32();
            long fieldsEnd = 16 + r.uint32();
            OptionalLong replySerial = OptionalLong.empty();
            String member = null, errorName = null, signature = "";
            while (r.buffer.position() < fieldsEnd) {
                r.align(8);
                int code = r.buffer.get();
                String fieldType = r.signature();
                Object value = r.value(fieldType.charAt(0));
                switch (code) {
                    case MEMBER -> member = (String) value;
                    case ERROR_NAME -> errorName = (String) value;
                    case REPLY_SERIAL -> replySerial = OptionalLong.of((Long) value);
                    case SIGNATURE -> signature = (String) value;
                    default -> { } // PATH, INTERFACE, SENDER, DESTINATION...: not needed to watch names
                }
            }
            r.align(8);
            if (r.buffer.remaining() != bodyLength) throw new MalformedException("body length " + bodyLength);
            List<Object> body = new ArrayList<>();
            // A body of other types is some other message on the bus, of no interest here: left unread.
            if (signature.chars().allMatch(c -> "sogub".indexOf(c) >= 0)) {
                for (char c : signature.toCharArray()) body.add(r.value(c));
            }
            return new BusMessage(type, serial, replySerial, Optional.ofNullable(member),
                    Optional.ofNullable(errorName), body);
        } catch (RuntimeException e) {
            throw new MalformedException("unreadable message: " + e);
        }
    }

    private static ByteBuffer order(ByteBuffer b, byte endian) {
        return b.order(endian == 'B' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    }

    private static long align(long n, int to) {
        return (n + to - 1) / to * to;
    }

    /** Little-endian marshalling; alignment counts from the start of what is being written. */
    private static final class Writer extends ByteArrayOutputStream {
        void bytes(byte... b) {
            writeBytes(b);
        }

        void raw(byte[] b) {
            writeBytes(b);
        }

        void pad(int to) {
            while (count % to != 0) write(0);
        }

        void uint32(long v) {
            pad(4);
            for (int i = 0; i < 4; i++) write((int) (v >>> (8 * i)) & 0xff);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            uint32(b.length);
            writeBytes(b);
            write(0);
        }

        void signature(String s) {
            write(s.length());
            writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            write(0);
        }

        /** A header field: a (yv) struct, aligned to 8 from the start of the array (itself at offset 16). */
        void field(int code, String type, String value) {
            pad(8);
            write(code);
            signature(type);
            if (type.equals("g")) signature(value);
            else string(value);
        }
    }

    private record Reader(ByteBuffer buffer) {
        void align(int to) {
            buffer.position((int) BusMessage.align(buffer.position(), to));
        }

        long uint32() {
            align(4);
            return Integer.toUnsignedLong(buffer.getInt());
        }

        String string() {
            int n = (int) uint32();
            byte[] b = new byte[n];
            buffer.get(b);
            buffer.get(); // the nul
            return new String(b, StandardCharsets.UTF_8);
        }

        String signature() {
            byte[] b = new byte[buffer.get() & 0xff];
            buffer.get(b);
            buffer.get();
            return new String(b, StandardCharsets.US_ASCII);
        }

        Object value(char type) {
            return switch (type) {
                case 's', 'o' -> string();
                case 'g' -> signature();
                case 'u' -> uint32();
                case 'b' -> uint32() != 0;
                default -> throw new IllegalArgumentException("type " + type);
            };
        }
    }
}
