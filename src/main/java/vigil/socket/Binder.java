package vigil.socket;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Sockets;
import vigil.unit.InvalidValueException;
import vigil.unit.Listen;
import vigil.unit.SocketOptions;
import vigil.unit.SocketSection;

/**
 * Makes the fd of one {@code Listen*=} as systemd's socket_address_listen() and socket_open_fds() do: the socket's
 * options before bind, the unix path's directories made with {@code DirectoryMode=}, a stale socket file replaced,
 * the file given {@code SocketMode=} and {@code SocketUser=}/{@code SocketGroup=}; FIFOs made and opened read-write
 * (so that the last writer closing never gives Vigil an endless EOF), special files opened.
 */
final class Binder {
    /** A terminal opened by ListenSpecial= must not become Vigil's controlling terminal. */
    private static final int O_NOCTTY = 0x100;

    private final SocketSection section;
    private final OptionalInt uid;
    private final OptionalInt gid;
    private final List<String> warnings = new ArrayList<>();

    /** {@code uid}/{@code gid}: the owner to give the files made, resolved from SocketUser=/SocketGroup=. */
    Binder(SocketSection section, OptionalInt uid, OptionalInt gid) {
        this.section = section;
        this.uid = uid;
        this.gid = gid;
    }

    Listener bind(Listen listen) throws BindFailure {
        String text = text(listen);
        try {
            return switch (listen.kind()) {
                case STREAM, DATAGRAM, SEQUENTIAL_PACKET, NETLINK -> socket(listen, Addresses.of(listen, text));
                case FIFO -> fifo(listen, ((Listen.PathAddress) listen.address()).path(), text);
                case SPECIAL -> special(listen, ((Listen.PathAddress) listen.address()).path(), text);
                case MESSAGE_QUEUE, USB_FUNCTION -> throw new BindFailure(listen.kind().directive() + "=" + text
                        + ": not supported by Vigil");
            };
        } catch (InvalidValueException e) {
            throw new BindFailure(listen.kind().directive() + "=" + text + ": " + e.getMessage());
        }
    }

    private Listener socket(Listen listen, Endpoint e) throws BindFailure {
        String what = listen.kind().directive() + "=" + e.text();
        int fd;
        try {
            fd = Sockets.open(e.family(), e.type(), e.protocol(), section.accept());
        } catch (OsException x) {
            throw new BindFailure(what + ": cannot make the socket: " + x.getMessage());
        }
        try {
            options(fd, e);
            if (e.path().isPresent()) {
                Path path = Path.of(e.path().get());
                makeParents(path);
                bindPath(fd, e, path);
                own(path, section.socketMode());
            } else {
                Sockets.bind(fd, e.sockaddr());
            }
            if (e.type() == Sockets.SOCK_STREAM || e.type() == Sockets.SOCK_SEQPACKET) {
                Sockets.listen(fd, section.backlog());
            }
        } catch (OsException x) {
            Fds.close(fd);
            String why = x.errno() == Errno.EADDRINUSE ? "address already in use" : x.getMessage();
            throw new BindFailure(what + ": " + why);
        } catch (BindFailure x) {
            Fds.close(fd);
            throw x;
        }
        return new Listener(listen.kind(), fd, e.text(), e.path());
    }

    /** As systemd: a socket file left behind (by a daemon that died) is replaced; another file is not. */
    private static void bindPath(int fd, Endpoint e, Path path) throws OsException, BindFailure {
        try {
            Sockets.bind(fd, e.sockaddr());
        } catch (OsException x) {
            if (x.errno() != Errno.EADDRINUSE || !isSocket(path)) throw x;
            try {
                Files.deleteIfExists(path);
            } catch (IOException io) {
                throw x;
            }
            Sockets.bind(fd, e.sockaddr());
        }
    }

    private static boolean isSocket(Path path) {
        try {
            return Files.readAttributes(path, "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode") instanceof Integer m
                    && (m & 0170000) == 0140000;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * setsockopt for every option the unit sets, as systemd's socket_address_listen() and
     * socket_apply_socket_options() do: SO_REUSEADDR (always, on IP sockets) and IPV6_V6ONLY must take, or the
     * address fails; any other option the kernel refuses (SO_PASSSEC on a TCP socket, IP_TRANSPARENT without
     * CAP_NET_ADMIN) is a warning, and the socket listens without it.
     */
    private void options(int fd, Endpoint e) throws OsException {
        boolean ip = e.family() == Sockets.AF_INET || e.family() == Sockets.AF_INET6;
        boolean v6 = e.family() == Sockets.AF_INET6;
        SocketOptions o = section.options();
        if (ip) Sockets.setOption(fd, Sockets.SOL_SOCKET, Sockets.SO_REUSEADDR, 1);
        if (v6 && !section.bindIpv6Only().equals("default")) {
            Sockets.setOption(fd, Sockets.IPPROTO_IPV6, Sockets.IPV6_V6ONLY,
                    section.bindIpv6Only().equals("ipv6-only") ? 1 : 0);
        }
        String on = e.text();
        if (section.reusePort()) optional(on, "ReusePort=", fd, Sockets.SOL_SOCKET, Sockets.SO_REUSEPORT, 1);
        if (section.freeBind() && ip) {
            optional(on, "FreeBind=", fd, v6 ? Sockets.IPPROTO_IPV6 : Sockets.IPPROTO_IP,
                    v6 ? Sockets.IPV6_FREEBIND : Sockets.IP_FREEBIND, 1);
        }
        if (o.transparent() && ip) {
            optional(on, "Transparent=", fd, v6 ? Sockets.IPPROTO_IPV6 : Sockets.IPPROTO_IP,
                    v6 ? Sockets.IPV6_TRANSPARENT : Sockets.IP_TRANSPARENT, 1);
        }
        if (section.passCredentials()) optional(on, "PassCredentials=", fd, Sockets.SOL_SOCKET, Sockets.SO_PASSCRED, 1);
        if (section.passSecurity()) optional(on, "PassSecurity=", fd, Sockets.SOL_SOCKET, Sockets.SO_PASSSEC, 1);
        if (o.keepAlive()) optional(on, "KeepAlive=", fd, Sockets.SOL_SOCKET, Sockets.SO_KEEPALIVE, 1);
        if (o.noDelay() && ip && e.type() == Sockets.SOCK_STREAM) {
            optional(on, "NoDelay=", fd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1);
        }
        if (o.receiveBuffer().isPresent()) {
            buffer(on, "ReceiveBuffer=", fd, Sockets.SO_RCVBUFFORCE, Sockets.SO_RCVBUF, o.receiveBuffer().get());
        }
        if (o.sendBuffer().isPresent()) {
            buffer(on, "SendBuffer=", fd, Sockets.SO_SNDBUFFORCE, Sockets.SO_SNDBUF, o.sendBuffer().get());
        }
        if (o.mark().isPresent()) optional(on, "Mark=", fd, Sockets.SOL_SOCKET, Sockets.SO_MARK, o.mark().get());
        if (o.ipTos().isPresent() && ip && !v6) {
            optional(on, "IPTOS=", fd, Sockets.IPPROTO_IP, Sockets.IP_TOS, o.ipTos().get());
        }
        if (o.ipTtl().isPresent() && ip) {
            optional(on, "IPTTL=", fd, v6 ? Sockets.IPPROTO_IPV6 : Sockets.IPPROTO_IP,
                    v6 ? Sockets.IPV6_UNICAST_HOPS : Sockets.IP_TTL, o.ipTtl().get());
        }
    }

    /** One option the socket can listen without: a refusal is said (see {@link #warnings}), not fatal. */
    private void optional(String on, String setting, int fd, int level, int option, int value) {
        try {
            Sockets.setOption(fd, level, option, value);
        } catch (OsException x) {
            warnings.add(setting + " not applied to " + on + ": " + x.getMessage());
        }
    }

    /**
     * ReceiveBuffer=/SendBuffer= as systemd's fd_set_rcvbuf(): the size asked for even beyond net.core.rmem_max (or
     * wmem_max) where Vigil may (the FORCE option needs CAP_NET_ADMIN), else the plain option, which the kernel caps.
     */
    private void buffer(String on, String setting, int fd, int force, int plain, int size) {
        try {
            Sockets.setOption(fd, Sockets.SOL_SOCKET, force, size);
        } catch (OsException x) {
            if (x.errno() == Errno.EPERM) optional(on, setting, fd, Sockets.SOL_SOCKET, plain, size);
            else warnings.add(setting + " not applied to " + on + ": " + x.getMessage());
        }
    }

    /** What could not be applied to the sockets bound so far, one line each, for the unit's log. */
    List<String> warnings() {
        return List.copyOf(warnings);
    }

    private Listener fifo(Listen listen, String name, String text) throws BindFailure {
        Path path = Path.of(name);
        String what = "ListenFIFO=" + text;
        makeParents(path);
        try {
            Sockets.mkfifo(path, section.socketMode());
        } catch (OsException x) {
            if (x.errno() != Errno.EEXIST) throw new BindFailure(what + ": " + x.getMessage());
        }
        try {
            if (!isFifo(path)) throw new BindFailure(what + ": " + path + " exists and is not a FIFO");
        } catch (IOException x) {
            throw new BindFailure(what + ": " + x.getMessage());
        }
        own(path, section.socketMode());
        try {
            return new Listener(listen.kind(), Fds.open(path, Fds.O_RDWR | Fds.O_NONBLOCK, 0), text,
                    Optional.of(name));
        } catch (OsException x) {
            throw new BindFailure(what + ": " + x.getMessage());
        }
    }

    private static boolean isFifo(Path path) throws IOException {
        return ((Integer) Files.readAttributes(path, "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode")
                & 0170000) == 0010000;
    }

    private Listener special(Listen listen, String name, String text) throws BindFailure {
        try {
            int flags = section.writable() ? Fds.O_RDWR : Fds.O_RDONLY;
            return new Listener(listen.kind(), Fds.open(Path.of(name), flags | O_NOCTTY, 0), text,
                    Optional.empty());
        } catch (OsException x) {
            throw new BindFailure("ListenSpecial=" + text + ": " + x.getMessage());
        }
    }

    /** The directories on the way to a file, made with DirectoryMode= if missing (systemd's mkdir_parents). */
    private void makeParents(Path path) throws BindFailure {
        Path parent = path.getParent();
        if (parent == null || Files.isDirectory(parent)) return;
        try {
            makeDirectory(parent);
        } catch (IOException x) {
            throw new BindFailure("cannot make the directory " + parent + " for " + path + ": " + x.getMessage());
        }
    }

    private void makeDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) return;
        if (dir.getParent() != null) makeDirectory(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException raced) {
            return;
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(rwx(section.directoryMode())));
    }

    private void own(Path path, int mode) throws BindFailure {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(rwx(mode)));
            if (uid.isPresent()) Files.setAttribute(path, "unix:uid", uid.getAsInt(), LinkOption.NOFOLLOW_LINKS);
            if (gid.isPresent()) Files.setAttribute(path, "unix:gid", gid.getAsInt(), LinkOption.NOFOLLOW_LINKS);
        } catch (IOException x) {
            throw new BindFailure("cannot set the mode or owner of " + path + ": " + x.getMessage());
        }
    }

    private static String rwx(int mode) {
        var s = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) s.append((mode & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        return s.toString();
    }

    /** The address as the unit file wrote it. */
    static String text(Listen listen) {
        return switch (listen.address()) {
            case Listen.PathAddress p -> p.path();
            case Listen.AbstractAddress a -> "@" + a.name();
            case Listen.InetAddress in -> in.host().map(h -> h.contains(":") ? "[" + h + "]" : h)
                    .map(h -> h + ":").orElse("") + in.port() + in.interfaceName().map(i -> "%" + i).orElse("");
            case Listen.VsockAddress v -> "vsock:" + v.cid() + ":" + v.port();
            case Listen.NetlinkAddress n -> n.family() + (n.group() == 0 ? "" : " " + n.group());
        };
    }
}
