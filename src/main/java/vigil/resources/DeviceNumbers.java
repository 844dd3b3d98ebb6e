package vigil.resources;

import java.util.Optional;

/**
 * Device numbers for the limits that name a device by path: the block device of {@code IOReadBandwidthMax=} and the
 * nodes and classes of {@code DeviceAllow=}. A port, so that the translations are tested without real devices.
 */
public interface DeviceNumbers {
    /** {@code MAJ:MIN} of the block device {@code path} is, or that holds the file system {@code path} is on. */
    Optional<String> blockDevice(String path);

    /**
     * The devices controller's form of a {@code DeviceAllow=} device: {@code c 1:3} for a node, {@code c 136:*} for
     * a class ({@code char-pts}) looked up in /proc/devices.
     */
    Optional<String> deviceRule(String device);
}
