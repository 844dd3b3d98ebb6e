package vigil.bus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Against bytes captured (socat -x) between dbus-send / dbus-monitor and Debian 12's dbus-daemon. */
class BusMessageTest {
    /** dbus-send --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.example.Foo */
    private static final String NAME_HAS_OWNER = "6c01000114000000020000006f00000001016f00010000002f00000000000000"
            + "02017300140000006f72672e667265656465736b746f702e444275730000000003017300"
            + "0c0000004e616d654861734f776e6572000000000601730014000000"
            + "6f72672e667265656465736b746f702e44427573000000000801670001730000"
            + "0f0000006f72672e6578616d706c652e466f6f00";
    /** dbus-daemon's reply to it: boolean false. */
    private static final String REPLY_FALSE = "6c02010104000000030000003d00000006017300040000003a312e3000000000"
            + "05017500020000000801670001620000070173001400000"
            + "06f72672e667265656465736b746f702e444275730000000000000000";
    /** NameOwnerChanged("org.example.Foo", "", ":1.2"): the name taken. */
    private static final String TAKEN = "6c04010125000000060000008900000001016f00150000002f6f72672f667265"
            + "65646573"
            + "6b746f702f4442757300000002017300140000006f72672e667265656465736b746f702e4442757300"
            + "00000003017300100000004e616d654f776e65724368616e676564000000000000000007017300"
            + "140000006f72672e667265656465736b746f702e44427573000000000801670003737373000000"
            + "00000000000f0000006f72672e6578616d706c652e466f6f000000000000000000040000003a31"
            + "2e3200";

    private static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static BusMessage parse(byte[] b) throws BusMessage.MalformedException {
        assertEquals(b.length, BusMessage.length(b, 0));
        return BusMessage.parse(b, 0, b.length);
    }

    @Test
    void aMethodCallIsWhatDbusSendWrites() {
        assertArrayEquals(bytes(NAME_HAS_OWNER), BusMessage.methodCall(2, "org.freedesktop.DBus", "/",
                "org.freedesktop.DBus", "NameHasOwner", "org.example.Foo"));
    }

    @Test
    void aCallReadsBack() throws BusMessage.MalformedException {
        BusMessage m = parse(bytes(NAME_HAS_OWNER));
        assertEquals(new BusMessage(BusMessage.METHOD_CALL, 2, OptionalLong.empty(), Optional.of("NameHasOwner"),
                Optional.empty(), List.of("org.example.Foo")), m);
    }

    @Test
    void aCallWithoutArgumentsHasNoSignatureAndAnEmptyBody() throws BusMessage.MalformedException {
        byte[] hello = BusMessage.methodCall(1, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus", "Hello");
        assertEquals(0, hello[4]); // body length
        BusMessage m = parse(hello);
        assertEquals(Optional.of("Hello"), m.member());
        assertEquals(List.of(), m.body());
    }

    @Test
    void theReplyToNameHasOwnerIsABoolean() throws BusMessage.MalformedException {
        BusMessage m = parse(bytes(REPLY_FALSE));
        assertEquals(BusMessage.METHOD_RETURN, m.type());
        assertEquals(OptionalLong.of(2), m.replySerial());
        assertEquals(List.of(false), m.body());
    }

    @Test
    void nameOwnerChangedCarriesTheNameAndBothOwners() throws BusMessage.MalformedException {
        BusMessage m = parse(bytes(TAKEN));
        assertEquals(BusMessage.SIGNAL, m.type());
        assertEquals(Optional.of("NameOwnerChanged"), m.member());
        assertEquals(List.of("org.example.Foo", "", ":1.2"), m.body());
    }

    @Test
    void messagesBackToBackAreFramedByTheirLengths() throws BusMessage.MalformedException {
        byte[] a = bytes(REPLY_FALSE), b = bytes(TAKEN);
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        int first = BusMessage.length(both, 0);
        assertEquals(a.length, first);
        assertEquals(List.of("org.example.Foo", "", ":1.2"), BusMessage.parse(both, first, b.length).body());
    }

    @Test
    void aTruncatedMessageIsMalformedNotACrash() {
        byte[] b = bytes(TAKEN);
        assertThrows(BusMessage.MalformedException.class, () -> BusMessage.parse(b, 0, b.length - 4));
    }

    @Test
    void anImpossibleLengthIsRefusedBeforeWaitingForIt() {
        byte[] b = bytes(TAKEN);
        b[4] = (byte) 0xff;
        b[7] = (byte) 0x7f;
        assertThrows(BusMessage.MalformedException.class, () -> BusMessage.length(b, 0));
    }
}
