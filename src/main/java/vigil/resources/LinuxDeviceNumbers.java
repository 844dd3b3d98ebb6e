package vigil.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** {@link DeviceNumbers} from the file system: a node's rdev, a file's st_dev, /proc/devices for classes. */
public final class LinuxDeviceNumbers implements DeviceNumbers {
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;

    @Override
    public Optional<String> blockDevice(String path) {
        try {
            Map<String, Object> a = Files.readAttributes(Path.of(path), "unix:mode,rdev,dev");
            long dev = ((int) a.get("mode") & S_IFMT) == S_IFBLK ? (long) a.get("rdev") : (long) a.get("dev");
            return Optional.of(majorMinor(dev));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<String> deviceRule(String device) {
        if (device.startsWith("char-") || device.startsWith("block-")) return deviceClass(device);
        try {
            Map<String, Object> a = Files.readAttributes(Path.of(device), "unix:mode,rdev");
            int type = (int) a.get("mode") & S_IFMT;
            if (type != S_IFCHR && type != S_IFBLK) return Optional.empty();
            return Optional.of((type == S_IFCHR ? "c " : "b ") + majorMinor((long) a.get("rdev")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** {@code char-pts}: the major of the class named in /proc/devices, any minor. */
    private static Optional<String> deviceClass(String device) {
        boolean isChar = device.startsWith("char-");
        String name = device.substring(device.indexOf('-') + 1);
        try {
            boolean inSection = false;
            for (String line : Files.readAllLines(Path.of("/proc/devices"))) {
                if (line.startsWith("Character devices:")) inSection = isChar;
                else if (line.startsWith("Block devices:")) inSection = !isChar;
                else if (inSection) {
                    String[] f = line.strip().split("\\s+");
                    if (f.length == 2 && f[1].equals(name)) return Optional.of((isChar ? "c " : "b ") + f[0] + ":*");
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** glibc's gnu_dev_major/minor for a 64-bit dev_t. */
    private static String majorMinor(long dev) {
        long major = ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
        long minor = ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
        return major + ":" + minor;
    }
}
