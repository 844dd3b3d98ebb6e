package vigil.socket;

/** Why a socket unit could not listen on one of its addresses; the message names the address. */
final class BindFailure extends Exception {
    BindFailure(String message) {
        super(message);
    }
}
