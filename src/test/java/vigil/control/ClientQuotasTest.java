package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClientQuotasTest {
    private static final long SECOND = 1_000_000_000L;
    private static final int ROOT = 0, NOBODY = 65534, OTHER = 1000, OWNER = 1001;

    private final ClientQuotas quotas = new ClientQuotas(new ControlLimits(3, 5, 1000, 10, 2, 1), OWNER);

    @Test
    void eachUidGetsItsNumberOfConnectionsAndAClosedOneIsGivenBack() {
        for (int i = 0; i < 3; i++) assertTrue(quotas.admit(NOBODY, 0).isEmpty());
        assertEquals("uid 65534 has 3 connections open, the most allowed", quotas.admit(NOBODY, 0).orElseThrow());
        assertTrue(quotas.admit(OTHER, 0).isEmpty(), "another uid is not held back by nobody's");
        quotas.closed(NOBODY);
        assertTrue(quotas.admit(NOBODY, 0).isEmpty());
    }

    @Test
    void allUsersTogetherHaveALimitButRootIsNeverRefused() {
        for (int uid = 1; uid <= 5; uid++) assertTrue(quotas.admit(uid, 0).isEmpty());
        assertTrue(quotas.admit(6, 0).isPresent());
        for (int i = 0; i < 100; i++) assertTrue(quotas.admit(ROOT, 0).isEmpty());
        assertEquals(5, quotas.userConnections());
    }

    @Test
    void theDaemonsOwnUserIsAsRootToIt() {
        for (int i = 0; i < 100; i++) {
            assertTrue(quotas.admit(OWNER, 0).isEmpty());
            assertEquals(0, quotas.takeRequest(OWNER, 0));
        }
        assertTrue(quotas.grow(OWNER, 1 << 20));
        assertEquals(0, quotas.userConnections());
    }

    @Test
    void buffersOfAllUsersShareOneBudgetThatRootIsOutsideOf() {
        assertTrue(quotas.grow(NOBODY, 600));
        assertTrue(quotas.grow(OTHER, 400));
        assertFalse(quotas.grow(NOBODY, 1));
        assertFalse(quotas.grow(OTHER, 1));
        assertTrue(quotas.grow(ROOT, 1 << 20));
        quotas.shrink(NOBODY, 600);
        assertEquals(400, quotas.bufferBytes());
        assertTrue(quotas.grow(OTHER, 600));
    }

    @Test
    void requestsOfOneUidDrawOnOneBucketWhateverTheConnection() {
        long t = 10 * SECOND;
        assertEquals(0, quotas.takeRequest(NOBODY, t));
        assertEquals(0, quotas.takeRequest(NOBODY, t));
        assertEquals(SECOND / 10, quotas.takeRequest(NOBODY, t));
        assertEquals(0, quotas.takeRequest(OTHER, t), "each uid has its own bucket");
        for (int i = 0; i < 1000; i++) assertEquals(0, quotas.takeRequest(ROOT, t));
        assertEquals(0, quotas.takeRequest(NOBODY, t + SECOND / 10));
    }

    @Test
    void reconnectingDoesNotRefillTheBucket() {
        long t = 10 * SECOND;
        quotas.admit(NOBODY, t);
        quotas.takeRequest(NOBODY, t);
        quotas.takeRequest(NOBODY, t);
        quotas.closed(NOBODY);
        quotas.admit(NOBODY, t);
        assertTrue(quotas.takeRequest(NOBODY, t) > 0);
    }

    @Test
    void usersLongGoneAreForgotten() {
        long t = 10 * SECOND;
        for (int uid = 1; uid <= 2000; uid++) quotas.takeRequest(uid, t);
        long later = t + 60 * SECOND;
        quotas.takeRequest(5000, later);
        assertTrue(quotas.rememberedUsers() < 2000, "remembered " + quotas.rememberedUsers());
    }
}
