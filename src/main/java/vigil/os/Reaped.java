package vigil.os;

/** A child collected by waitid(2): its pid, now free for reuse, and how it ended. */
public record Reaped(int pid, ExitStatus status) {}
