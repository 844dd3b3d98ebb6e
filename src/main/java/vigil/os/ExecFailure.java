package vigil.os;

/**
 * vigil-exec could not start the program: the step that failed ("exec", "chdir", "setuid"...), what it was applied
 * to (a path, an id; may be empty) and the errno.
 */
public record ExecFailure(String step, String subject, int errno) {
    /** "exec ./run: No such file or directory", the way runsv and chpst word it. */
    public String describe() {
        return step + (subject.isEmpty() ? "" : " " + subject) + ": " + Errno.describe(errno);
    }
}
