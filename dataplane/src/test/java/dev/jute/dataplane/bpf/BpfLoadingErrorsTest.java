package dev.jute.dataplane.bpf;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Loading fails with messages that say what is wrong. Needs root and the built objects. */
class BpfLoadingErrorsTest {

    @Test
    void garbageIsNotABpfObject() {
        BpfTestEnvironment.assumeBpf();
        BpfException e = assertThrows(BpfException.class,
                () -> BpfObject.load("garbage", "not an ELF file".getBytes(), null, "from_pod"));
        assertTrue(e.getMessage().startsWith("open BPF object garbage"), e.getMessage());
    }

    @Test
    void aPinDirectoryOffTheBpfFilesystemIsRefusedUpFront() throws Exception {
        BpfTestEnvironment.assumeBpf();
        Path plain = Files.createTempDirectory("jute-not-bpffs");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> PolicyDataplane.open(plain));
            assertTrue(e.getMessage().contains("is not on a BPF filesystem"), e.getMessage());
        } finally {
            Files.deleteIfExists(plain);
        }
    }

    @Test
    void aMissingProgramIsNamed() throws Exception {
        BpfTestEnvironment.assumeBpf();
        byte[] elf;
        try (var in = PolicyDataplane.class.getResourceAsStream("/bpf/to_pod.o")) {
            elf = in.readAllBytes();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpfObject.load("to_pod", elf, null, "from_pod"));
        assertTrue(e.getMessage().contains("has no program from_pod"), e.getMessage());
    }

    @Test
    void anIncompatiblePinnedMapIsExplainedAndNotReplaced() throws Exception {
        BpfTestEnvironment.assumeBpf();
        BpfTestEnvironment.removeLeftovers();
        try (BpfTestEnvironment environment = new BpfTestEnvironment()) {
            Path pins = Files.createDirectories(environment.bpfFilesystem().resolve("mismatch"));
            // Pin the drops map (8-byte keys) under the name of the policy map (40-byte keys).
            try (PolicyDataplane first = PolicyDataplane.open(environment.bpfFilesystem().resolve("donor"))) {
                first.maps().map(PolicyMaps.DROPS).pin(pins.resolve(PolicyMaps.POLICY));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> PolicyDataplane.open(pins));
            assertTrue(e.getMessage().contains("pinned map " + pins.resolve(PolicyMaps.POLICY)), e.getMessage());
            assertTrue(e.getMessage().contains("made by another version"), e.getMessage());
            assertTrue(Files.exists(pins.resolve(PolicyMaps.POLICY)), "the pin is left for the operator");
        }
    }
}
