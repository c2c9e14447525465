package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CniVersionTest {

    @Test
    void versionsAreOrdered() throws Exception {
        assertEquals(List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"), CniVersion.supportedTexts());
        assertTrue(CniVersion.parse("0.3.1").compareTo(CniVersion.parse("0.4.0")) < 0);
        assertTrue(CniVersion.parse("1.1.0").compareTo(CniVersion.parse("1.0.0")) > 0);
        assertEquals(CniVersion.V1_1_0, CniVersion.LATEST);
    }

    @Test
    void commandsPerVersion() {
        for (CniVersion v : CniVersion.values()) {
            assertTrue(v.allows(CniCommand.ADD));
            assertTrue(v.allows(CniCommand.DEL));
            assertTrue(v.allows(CniCommand.VERSION));
        }
        assertFalse(CniVersion.V0_3_1.supportsCheck());
        assertTrue(CniVersion.V0_4_0.supportsCheck());
        assertFalse(CniVersion.V1_0_0.supportsStatus());
        assertFalse(CniVersion.V1_0_0.supportsGc());
        assertTrue(CniVersion.V1_1_0.supportsStatus());
        assertTrue(CniVersion.V1_1_0.supportsGc());
        assertTrue(CniVersion.V0_4_0.ipsCarryVersion());
        assertFalse(CniVersion.V1_0_0.ipsCarryVersion());
        assertFalse(CniVersion.V1_0_0.hasExtendedFields());
        assertTrue(CniVersion.V1_1_0.hasExtendedFields());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.1.0", "0.2.0"})
    void legacyVersionsSaySo(String version) {
        CniException e = assertThrows(CniException.class, () -> CniVersion.parse(version));
        assertEquals(1, e.code());
        assertEquals("CNI version " + version + " is not supported", e.getMessage());
        assertTrue(e.details().contains("0.3.0"), e.details());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2.0", "2.0.0", "1.0", "v1.0.0", "abc", " 1.0.0"})
    void unknownVersionsAreIncompatible(String version) {
        CniException e = assertThrows(CniException.class, () -> CniVersion.parse(version));
        assertEquals(1, e.code());
        assertTrue(e.getMessage().contains(version), e.getMessage());
        assertTrue(e.details().contains("1.1.0"));
    }

    @Test
    void missingVersionIsIncompatible() {
        CniException e = assertThrows(CniException.class, () -> CniVersion.parse(null));
        assertEquals(1, e.code());
        assertTrue(e.details().contains("0.1.0"));
    }

    @Test
    void versionResultAnswersInTheRequestedVersion() {
        String all = ",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}";
        assertEquals("{\"cniVersion\":\"1.1.0\"" + all, CniVersion.versionResultText("1.1.0"));
        assertEquals("{\"cniVersion\":\"0.4.0\"" + all, CniVersion.versionResultText("0.4.0"));
        assertEquals("{\"cniVersion\":\"1.0.0\"" + all, CniVersion.versionResultText("1.0.0"));
        // a version we do not speak, or none: answer in the newest so the runtime can still negotiate
        assertEquals("{\"cniVersion\":\"1.1.0\"" + all, CniVersion.versionResultText("0.2.0"));
        assertEquals("{\"cniVersion\":\"1.1.0\"" + all, CniVersion.versionResultText("9.9.9"));
        assertEquals("{\"cniVersion\":\"1.1.0\"" + all, CniVersion.versionResultText(null));
    }

    @Test
    void errorObjectFollowsTheSpec() throws Exception {
        CniException e = new CniException(CniErrorCode.ADDRESS_POOL_EXHAUSTED, "no free address", "10.244.1.0/24 is full");
        assertEquals("{\"cniVersion\":\"1.0.0\",\"code\":110,\"msg\":\"no free address\","
                + "\"details\":\"10.244.1.0/24 is full\"}", Json.write(e.toJson("1.0.0")));
        assertEquals("{\"cniVersion\":\"0.4.0\",\"code\":11,\"msg\":\"later\"}",
                new CniException(CniErrorCode.TRY_AGAIN_LATER, "later").toJsonText("0.4.0"));
    }

    @Test
    void errorCodes() {
        int[] wellKnown = {1, 2, 3, 4, 5, 6, 7, 11, 50, 51};
        for (int code : wellKnown) {
            CniErrorCode c = CniErrorCode.ofCode(code);
            assertEquals(code, c.code());
            assertTrue(c.isWellKnown());
            assertFalse(c.meaning().isEmpty());
        }
        for (CniErrorCode c : CniErrorCode.values()) {
            assertEquals(c, CniErrorCode.ofCode(c.code()));
            if (!c.isWellKnown()) {
                assertTrue(c.code() >= 100);
            }
        }
        assertEquals("Interface state mismatch", CniErrorCode.ofCode(100).meaning());
        assertEquals("Address pool exhausted", CniErrorCode.ofCode(110).meaning());
        assertEquals(CniErrorCode.INTERNAL_ERROR, CniErrorCode.ofCode(999));
        assertEquals(null, CniErrorCode.ofCode(8));
    }

    @Test
    void errorVersionComesFromTheConfigWhenUsable() {
        assertEquals(CniVersion.V0_3_1, CniVersion.ofConfigOrLatest("{\"cniVersion\":\"0.3.1\",\"name\":7}"));
        assertEquals(CniVersion.LATEST, CniVersion.ofConfigOrLatest("{\"cniVersion\":\"0.2.0\"}"));
        assertEquals(CniVersion.LATEST, CniVersion.ofConfigOrLatest("{\"cniVersion\":1}"));
        assertEquals(CniVersion.LATEST, CniVersion.ofConfigOrLatest("[\"0.3.1\"]"));
        assertEquals(CniVersion.LATEST, CniVersion.ofConfigOrLatest("{broken"));
        assertEquals(CniVersion.LATEST, CniVersion.ofConfigOrLatest(""));
        assertEquals(CniVersion.LATEST, CniVersion.ofConfigOrLatest(null));
    }
}
