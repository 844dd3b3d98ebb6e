package vigil.init;

import java.util.List;
import java.util.function.Consumer;
import vigil.os.OsException;

/**
 * The last step before reboot(2), in systemd-shutdown's order: unmount every file system, newest mount first, or
 * make it read-only where it cannot be unmounted (the root, one still in use); stop swapping; detach loop devices.
 * One step can free another (a loop device's file system unmounted lets it detach, which frees the file system its
 * backing file is on), so the rounds go on for as long as any of them changed something. Every process is gone by
 * then, so what is still busy stays busy: the last round is the one that changed nothing.
 */
final class DiskRelease {
    private final InitOs os;
    private final Consumer<String> say;

    DiskRelease(InitOs os, Consumer<String> say) {
        this.os = os;
        this.say = say;
    }

    /** Releases every disk it can; says what is still mounted read-write at the end. */
    void run() {
        while (unmountRound() | swapOffRound() | detachLoopRound()) {
            continue;
        }
        try {
            for (MountPoint mount : os.mounts()) {
                if (!mount.kernels() && !mount.readOnly()) say.accept(mount.path() + ": still mounted read-write");
            }
        } catch (OsException e) {
            say.accept("cannot read the mount table: " + e.getMessage());
        }
    }

    /** Unmounts, newest first, or else remounts read-only; whether anything changed. */
    private boolean unmountRound() {
        List<MountPoint> mounts;
        try {
            mounts = os.mounts();
        } catch (OsException e) {
            say.accept("cannot read the mount table: " + e.getMessage());
            return false;
        }
        boolean changed = false;
        for (MountPoint mount : mounts.reversed()) {
            if (mount.kernels()) continue;
            // The root stays mounted: it holds PID 1's own files. Read-only, its disk is clean all the same.
            if (!mount.path().equals("/")) {
                try {
                    os.unmount(mount.path());
                    say.accept("unmounted " + mount.path());
                    changed = true;
                    continue;
                } catch (OsException e) {
                    // Busy, most likely: then read-only is the next best thing, and a later round may yet unmount.
                }
            }
            if (mount.readOnly()) continue;
            try {
                os.remountReadOnly(mount.path());
                say.accept("remounted " + mount.path() + " read-only");
                changed = true;
            } catch (OsException e) {
                say.accept("cannot unmount or remount " + mount.path() + " read-only: " + e.getMessage());
            }
        }
        return changed;
    }

    private boolean swapOffRound() {
        boolean changed = false;
        try {
            for (String device : os.swaps()) {
                try {
                    os.swapOff(device);
                    say.accept("stopped swapping to " + device);
                    changed = true;
                } catch (OsException e) {
                    say.accept("cannot stop swapping to " + device + ": " + e.getMessage());
                }
            }
        } catch (OsException e) {
            say.accept("cannot read the swap devices: " + e.getMessage());
        }
        return changed;
    }

    private boolean detachLoopRound() {
        boolean changed = false;
        try {
            for (String device : os.loopDevices()) {
                try {
                    os.detachLoop(device);
                    say.accept("detached " + device);
                    changed = true;
                } catch (OsException e) {
                    // Still in use by a file system not unmounted yet; a later round tries again.
                }
            }
        } catch (OsException e) {
            say.accept("cannot read the loop devices: " + e.getMessage());
        }
        return changed;
    }
}
