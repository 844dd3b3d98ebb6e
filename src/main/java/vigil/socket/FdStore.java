package vigil.socket;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.model.UnitSpec;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.reexec.Handover;

/**
 * The services' fd stores (sd_notify(3) {@code FDSTORE=1}): fds a service hands to Vigil to get them back, after
 * its sockets, in the {@code LISTEN_FDS} of its next main process, so open connections outlive a restart. Each
 * unit's store holds at most its {@code FileDescriptorStoreMax=} fds (0, the default, refuses all, as systemd); an
 * fd offered beyond is closed at once, so a service cannot make Vigil hold fds without bound. Runs on the loop
 * thread.
 */
public final class FdStore {
    /** systemd's name for a stored fd sent without {@code FDNAME=}. */
    static final String DEFAULT_NAME = "stored";
    private static final int MAX_NAME = 255;

    /** One stored fd and the name it is passed under. */
    public record Stored(int fd, String name) {}

    private final Map<String, List<Stored>> byUnit = new HashMap<>();

    /**
     * Takes {@code fds}, sent with {@code FDSTORE=1} by a sender the unit's {@code NotifyAccess=} allows, under
     * {@code name}; those the store has no room for, or all of them if the name is invalid, are closed.
     *
     * @return empty if all were stored, else why some were not (for the unit's log)
     */
    public String store(String unit, UnitSpec.FdStore limits, List<Integer> fds, String name) {
        String problem = name == null ? "" : invalidName(name);
        if (!problem.isEmpty()) {
            fds.forEach(Fds::close);
            return problem;
        }
        List<Stored> stored = byUnit.computeIfAbsent(unit, u -> new ArrayList<>());
        int refused = 0;
        for (int fd : fds) {
            if (stored.size() >= limits.max()) {
                Fds.close(fd);
                refused++;
            } else if (held(stored, fd)) {
                // As systemd's service_add_fd_store: an open file stored already is kept once, under its first name.
                Fds.close(fd);
            } else {
                stored.add(new Stored(fd, name == null ? DEFAULT_NAME : name));
            }
        }
        if (stored.isEmpty()) byUnit.remove(unit);
        if (refused == 0) return "";
        return refused + " fd(s) not stored: FileDescriptorStoreMax=" + limits.max()
                + (limits.max() == 0 ? " (the store is off)" : " reached");
    }

    /** Whether the store holds {@code fd}'s open file already (the service sent the same fd twice, or a dup). */
    private static boolean held(List<Stored> stored, int fd) {
        for (Stored s : stored) {
            try {
                if (Fds.sameOpenFile(s.fd(), fd)) return true;
            } catch (OsException e) {
                // Cannot tell: kept as a new one, as the FileDescriptorStoreMax= bound still holds.
                return false;
            }
        }
        return false;
    }

    /** {@code FDSTOREREMOVE=1}: closes every stored fd of {@code name}. */
    public void remove(String unit, String name) {
        List<Stored> stored = byUnit.get(unit);
        if (stored == null) return;
        stored.removeIf(s -> {
            if (!s.name().equals(name)) return false;
            Fds.close(s.fd());
            return true;
        });
        if (stored.isEmpty()) byUnit.remove(unit);
    }

    /** The unit's stored fds, oldest first, still held by the store. */
    public List<Stored> of(String unit) {
        return List.copyOf(byUnit.getOrDefault(unit, List.of()));
    }

    /**
     * The unit's main process is gone: the store is released as {@code FileDescriptorStorePreserve=} says
     * ({@code no}: at every stop; {@code restart}: unless a start follows; {@code yes}: never, till the unit goes).
     */
    public void stopped(String unit, UnitSpec.FdStore.Preserve preserve, boolean startFollows) {
        boolean release = switch (preserve) {
            case NO -> true;
            case RESTART -> !startFollows;
            case YES -> false;
        };
        if (release) release(unit);
    }

    /** Closes every fd of the unit's store (the unit is gone). */
    public void release(String unit) {
        List<Stored> stored = byUnit.remove(unit);
        if (stored != null) for (Stored s : stored) Fds.close(s.fd());
    }

    /** What an old daemon hands over on {@code daemon-reexec}: every stored fd, by unit, oldest first. */
    public List<Handover.StoredFd> handOver() {
        List<Handover.StoredFd> out = new ArrayList<>();
        byUnit.forEach((unit, stored) -> stored.forEach(s -> out.add(new Handover.StoredFd(unit, s.fd(), s.name()))));
        return out;
    }

    /** The new daemon takes the old one's store as it was. */
    public void adopt(List<Handover.StoredFd> handedOver) {
        for (Handover.StoredFd s : handedOver) {
            byUnit.computeIfAbsent(s.unit(), u -> new ArrayList<>()).add(new Stored(s.fd(), s.name()));
        }
    }

    /** How many fds the store holds in all. */
    public int size() {
        return byUnit.values().stream().mapToInt(List::size).sum();
    }

    /**
     * What a service's main process gets: {@code sockets}' fds, then its stored fds (sd_listen_fds(3) names them by
     * {@code LISTEN_FDNAMES}). The stored fds stay in the store: a service that crashes gets them again.
     */
    public PassedFds.Source after(PassedFds.Source sockets) {
        return service -> {
            Optional<PassedFds> passed = sockets.fdsFor(service);
            List<Stored> stored = of(service);
            if (stored.isEmpty()) return passed;
            List<Integer> fds = new ArrayList<>(passed.map(PassedFds::fds).orElse(List.of()));
            List<String> names = new ArrayList<>(passed.map(PassedFds::names).orElse(List.of()));
            for (Stored s : stored) {
                fds.add(s.fd());
                names.add(s.name());
            }
            return Optional.of(new PassedFds(fds, names,
                    passed.map(PassedFds::connection).orElse(OptionalInt.empty()),
                    passed.map(PassedFds::environment).orElse(Map.of())));
        };
    }

    /** As systemd's fdname_is_valid: printable ASCII but ':', at most 255 characters. */
    private static String invalidName(String name) {
        boolean ok = name.length() <= MAX_NAME && name.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != ':');
        return ok ? "" : "FDNAME=" + name + " is not a valid name (printable ASCII without ':', at most "
                + MAX_NAME + " characters); its fds are closed";
    }
}
