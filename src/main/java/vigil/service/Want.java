package vigil.service;

/** What the operator wants of a service; runit's byte 17 of {@code status}. */
public enum Want {
    /** Keep it running: restart it whenever it stops. */
    UP,
    /** Leave it stopped once it stops (also what "once" sets after starting it). */
    DOWN,
    /** Stop it and then forget it: it was removed, or Vigil is exiting. */
    EXIT
}
