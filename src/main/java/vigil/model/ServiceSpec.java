package vigil.model;

/**
 * What the supervisor runs: one service, in either of the two formats Vigil reads. The loaders ({@code config}
 * for service directories, {@code unit} for systemd units) build these; the supervisor takes either and runs it by
 * that format's rules, beside every other service and under one name table, one shutdown and one control socket.
 */
public sealed interface ServiceSpec permits DirectorySpec, UnitSpec {
    /** Unique among everything the daemon supervises: {@code web}, {@code web/log}, {@code nginx.service}. */
    String name();
}
