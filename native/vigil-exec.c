/*
 * vigil-exec: the code Vigil runs between fork and execve.
 *
 * A JVM cannot run code in a forked child, so Vigil posix_spawns this helper, which applies an exec spec to its
 * own process and then execve()s the program (the split systemd makes with its executor and the JDK with
 * jspawnhelper). It does nothing beyond that: no name lookups (ids are numeric), no PATH search.
 *
 *   vigil-exec [KEY=VALUE]... -- PATH ARGV0 [ARG]...
 *
 * The helper's environment is passed to the program unchanged (plus LISTEN_PID with listen-pid=1).
 * Keys, each optional (parsed first, then applied in the fixed order below, chpst's: setsid, chroot, nice, user,
 * then the rest; see "Why this order" below), but for cgroup=, which comes before everything (after only
 * early-mounts=, which is for PID 1):
 *   cgroup=DIR         (repeatable, up to 8) join the cgroup DIR, in order, by writing "0" to DIR/cgroup.procs: the
 *                      service's own, so that nothing it runs, forks or double-forks ever escapes it
 *   setsid=1           setsid()
 *   chroot=DIR         chroot(DIR), then chdir("/") at once
 *   nice=N             setpriority(PRIO_PROCESS, 0, N): absolute, not an increment
 *   oom=N              write N to /proc/self/oom_score_adj; EPERM or EACCES is no failure (systemd ignores it,
 *                      assuming a container) but a line on the program's stderr
 *   rlimit=RES:SOFT:HARD  (repeatable) RES is a number or a name (nofile, core, nproc...); SOFT/HARD may be inf
 *   umask=OCTAL        umask()
 *   groups=G1,G2,...   setgroups(); "groups=" clears the list
 *   gid=N, uid=N       setgid(), setuid()
 *   cwd=DIR            chdir(DIR), inside the chroot if any, with the program's own credentials
 *   capbset-drop=HEX   every capability whose bit is set in HEX leaves the bounding set (PR_CAPBSET_DROP), while
 *                      still root (it takes CAP_SETPCAP)
 *   securebits=N       prctl(PR_SET_SECUREBITS, N), while still root (CAP_SETPCAP again); Vigil adds keep-caps
 *                      when ambient= must outlive uid=
 *   ambient=HEX        the capabilities whose bits are set join the inheritable set while still root, then the
 *                      ambient set after uid= (a switch of user empties the ambient set), so a program run as
 *                      another user has them: CapabilityBoundingSet=, SecureBits= and AmbientCapabilities= in
 *                      systemd's order
 *   nonewprivs=1       prctl(PR_SET_NO_NEW_PRIVS)
 *   fd=T:S             (repeatable) the inherited fd S appears at fd T in the program; every fd >= 3 that is not a
 *                      target is closed; 0, 1 and 2 are left as inherited unless they are targets
 *   listen-pid=1       LISTEN_PID=<this pid> in the environment (the pid stays the same across execve)
 *   pid-env=NAME       (repeatable, up to 4) NAME=<this pid> in the environment, as WATCHDOG_PID wants it
 *   err=FD             where failures are reported (FD >= 3); made close-on-exec, so a successful execve closes it
 *   before=PATH        last, just before the execve: if PATH exists and its owner may execute it, run it as
 *                      argv {PATH, ""} and wait for it; its exit status is ignored (runsv's control/u, which gets
 *                      the service's pid as its argument: there is none yet)
 *   block=N            (repeatable) signal N (1-64) is blocked in the program; every other one is not
 *   early-mounts=1     first of all: mount proc on /proc, sysfs on /sys, devtmpfs on /dev and a tmpfs on /run,
 *                      each only where nothing is mounted yet (the directory is on the root's device). For the
 *                      launcher as the kernel's PID 1 without an initramfs: the java launcher finds libjli.so
 *                      through /proc/self/exe and dies at once without /proc (and PID 1 dying panics the kernel).
 *                      Failures are reported and ignored: a mount that fails leaves the JVM to say what is missing.
 * Always: every signal disposition is reset to the default and the signal mask is emptied (but for block=).
 * block= is for Vigil's own JVM, started by the launcher with SIGCHLD blocked: a mask survives execve and every
 * thread the JVM makes inherits it, so a child's death wakes only the signalfd that waits for it.
 *
 * Failure report. On any failure the helper makes one write(2) to the err fd of
 *     ERRNO SP STEP SP SUBJECT
 * with ERRNO in decimal, STEP one word (usage cgroup setsid chroot chdir nice oom rlimit capbset securebits
 * inheritable setgroups setgid setuid ambient nonewprivs fd close setenv exec) and SUBJECT what it was applied to, up to the end of the write (no newline;
 * it may be empty or contain spaces). Example: "2 exec ./run". The report is shorter than PIPE_BUF, so a reader
 * of a pipe gets it whole. Without err= the report goes to stderr as "vigil-exec: exec ./run: No such file or
 * directory". Either way the helper then exits 111, runit's code for a failed exec.
 *
 * Why this order. Everything that needs privilege (nice below 0, a lower oom score, a raised hard limit, the
 * credentials themselves) comes before setuid, as in chpst. The working directory comes after it: entered as
 * root, a path a user controls (a symlink swapped in between the check and the chdir) could put the program in a
 * directory its user may not enter, and the kernel's own permission check on the way in (ACLs included) is the
 * one that should judge. chpst has no such option; runsv enters the service directory before it runs chpst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FDS 1024
#define MAX_RLIMITS 64
#define MAX_GROUPS 1024
#define MAX_CGROUPS 8

extern char **environ;

static int err_fd = -1;

static _Noreturn void fail(const char *step, const char *subject, int err) {
    char report[2048];
    int n;
    if (err_fd >= 0)
        n = snprintf(report, sizeof report, "%d %s %s", err, step, subject);
    else
        n = snprintf(report, sizeof report, "vigil-exec: %s %s: %s\n", step, subject, strerror(err));
    if (n >= (int) sizeof report) n = sizeof report - 1;
    if (write(err_fd >= 0 ? err_fd : 2, report, n) < 0) {
        /* nobody left to tell */
    }
    _exit(111);
}

/* A whole decimal (or, with base 8, octal) number within [min, max], else a usage failure naming the argument. */
static long long number(const char *text, int base, long long min, long long max, const char *arg) {
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, base);
    if (errno || end == text || *end || n < min || n > max) fail("usage", arg, EINVAL);
    return n;
}

static const char *const RLIMIT_NAMES[] = {
    "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock", "as", "locks", "sigpending",
    "msgqueue", "nice", "rtprio", "rttime",
};

static rlim_t limit_value(const char *text, const char *arg) {
    if (!strcmp(text, "inf")) return RLIM_INFINITY;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno || end == text || *end || *text == '-') fail("usage", arg, EINVAL);
    return n;
}

struct fd_move { int target, source, moved; const char *arg; };
struct limit { int resource; struct rlimit value; const char *arg; };

/* The SigIgn mask of /proc/self/status (bit n-1 for signal n); every signal if /proc is unreadable (a chroot). */
static unsigned long long ignored_signals(void) {
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ~0ULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return ~0ULL;
    buf[n] = '\0';
    char *line = strstr(buf, "\nSigIgn:");
    if (!line) return ~0ULL;
    return strtoull(line + 8, NULL, 16);
}

/*
 * Runs the before= script to its end, as runsv runs control/u: a script that is missing, not executable by its
 * owner, cannot be started or fails changes nothing for the program. The child says why it could not start on
 * stderr, never on the err fd, which speaks for the program's own exec.
 */
static void run_before(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0 || !(st.st_mode & S_IXUSR)) return;
    pid_t pid = fork();
    if (pid < 0) return;
    if (pid == 0) {
        char *args[] = {(char *) path, "", NULL};
        execve(path, args, environ);
        dprintf(2, "vigil-exec: %s: %s\n", path, strerror(errno));
        _exit(111);
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

/* Mounts what the kernel's PID 1 may find missing (see early-mounts= above), each where nothing is mounted yet. */
static void early_mounts(void) {
    static const struct { const char *dir, *type, *options; unsigned long flags; } mounts[] = {
        {"/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC},
        {"/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC},
        {"/dev", "devtmpfs", "mode=0755", MS_NOSUID},
        {"/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV},
    };
    struct stat root, dir;
    if (stat("/", &root) < 0) return;
    for (size_t m = 0; m < sizeof mounts / sizeof *mounts; m++) {
        if (stat(mounts[m].dir, &dir) < 0 || dir.st_dev != root.st_dev) continue;
        if (mount(mounts[m].type, mounts[m].dir, mounts[m].type, mounts[m].flags, mounts[m].options) < 0)
            dprintf(2, "vigil-exec: mount %s on %s: %s\n", mounts[m].type, mounts[m].dir, strerror(errno));
    }
}

/*
 * Joins the cgroup DIR: writing "0" to its cgroup.procs moves the writer. Before anything else, so every process
 * of the service, this one included, is in it from its first instruction of the service's own.
 */
static void join_cgroup(const char *dir) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/cgroup.procs", dir) >= (int) sizeof path) fail("cgroup", dir, ENAMETOOLONG);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail("cgroup", dir, errno);
    if (write(fd, "0", 1) < 0) fail("cgroup", dir, errno);
    close(fd);
}

/* A 64-bit mask in hex, as Java's Long.toHexString writes it, else a usage failure naming the argument. */
static unsigned long long hex_mask(const char *text, const char *arg) {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 16);
    if (errno || end == text || *end || *text == '-') fail("usage", arg, EINVAL);
    return n;
}

/*
 * Adds the capabilities of MASK to the inheritable set: a capability must be in it (and permitted) to be raised in
 * the ambient set. The raw system calls, with the 64-bit (version 3) layout, as glibc has no wrapper.
 */
static void raise_inheritable(unsigned long long add, const char *arg) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) < 0) fail("inheritable", arg, errno);
    data[0].inheritable |= (unsigned) add;
    data[1].inheritable |= (unsigned) (add >> 32);
    if (syscall(SYS_capset, &header, data) < 0) fail("inheritable", arg, errno);
}

/* Closes [lo, hi]; a loop up to the fd limit where close_range(2) is missing (kernels before 5.9). */
static void close_between(unsigned lo, unsigned hi) {
    if (lo > hi) return;
    if (close_range(lo, hi, 0) == 0) return;
    if (errno != ENOSYS) fail("close", "fds", errno);
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) < 0) fail("close", "fds", errno);
    for (rlim_t fd = lo; fd <= hi && fd < nofile.rlim_cur; fd++) close(fd);
}

int main(int argc, char **argv) {
    struct fd_move fds[MAX_FDS];
    struct limit limits[MAX_RLIMITS];
    gid_t groups[MAX_GROUPS];
    int nfds = 0, nlimits = 0, ngroups = -1;
    int new_session = 0, nonewprivs = 0, mount_early = 0, listen_pid = 0, have_nice = 0, have_umask = 0, npid_env = 0;
    sigset_t blocked;
    sigemptyset(&blocked);
    const char *pid_env[4];
    const char *cgroups[MAX_CGROUPS];
    int ncgroups = 0;
    const char *root = NULL, *cwd = NULL, *oom = NULL, *before = NULL;
    const char *nice_text = "", *uid_text = "", *gid_text = "";
    const char *groups_text = "";
    const char *bounding_text = NULL, *ambient_text = NULL, *securebits_text = NULL;
    unsigned long long drop_bounding = 0, ambient = 0;
    long long securebits = 0;
    long long nice = 0, uid = -1, gid = -1;
    mode_t mask = 0;
    int i;

    /* err= first, wherever it stands, so that even a usage error reaches the reader of the pipe. */
    for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strncmp(argv[i], "err=", 4)) err_fd = number(argv[i] + 4, 10, 3, INT_MAX, argv[i]);
    for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        char *arg = argv[i], *eq = strchr(arg, '=');
        if (!eq) fail("usage", arg, EINVAL);
        size_t klen = eq - arg;
        const char *v = eq + 1;
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(arg, k, klen))
        if (KEY("err")) continue;
        else if (KEY("cgroup")) {
            if (!*v || ncgroups == MAX_CGROUPS) fail("usage", arg, EINVAL);
            cgroups[ncgroups++] = v;
        }
        else if (KEY("setsid")) new_session = number(v, 10, 0, 1, arg);
        else if (KEY("chroot")) root = v;
        else if (KEY("cwd")) cwd = v;
        else if (KEY("before")) before = v;
        else if (KEY("nice")) { nice = number(v, 10, -20, 19, arg); nice_text = v; have_nice = 1; }
        else if (KEY("oom")) { number(v, 10, -1000, 1000, arg); oom = v; }
        else if (KEY("umask")) { mask = number(v, 8, 0, 0777, arg); have_umask = 1; }
        else if (KEY("uid")) { uid = number(v, 10, 0, 4294967294LL, arg); uid_text = v; }
        else if (KEY("gid")) { gid = number(v, 10, 0, 4294967294LL, arg); gid_text = v; }
        else if (KEY("nonewprivs")) nonewprivs = number(v, 10, 0, 1, arg);
        else if (KEY("capbset-drop")) { drop_bounding = hex_mask(v, arg); bounding_text = v; }
        else if (KEY("ambient")) { ambient = hex_mask(v, arg); ambient_text = v; }
        else if (KEY("securebits")) { securebits = number(v, 10, 0, 0xff, arg); securebits_text = v; }
        else if (KEY("listen-pid")) listen_pid = number(v, 10, 0, 1, arg);
        else if (KEY("early-mounts")) mount_early = number(v, 10, 0, 1, arg);
        else if (KEY("block")) sigaddset(&blocked, number(v, 10, 1, 64, arg));
        else if (KEY("pid-env")) {
            if (!*v || strchr(v, '=') || npid_env == 4) fail("usage", arg, EINVAL);
            pid_env[npid_env++] = v;
        }
        else if (KEY("groups")) {
            char buf[16];
            ngroups = 0;
            groups_text = v;
            for (const char *p = v; *p; ) {
                size_t len = strcspn(p, ",");
                if (len == 0 || len >= sizeof buf || ngroups == MAX_GROUPS) fail("usage", arg, EINVAL);
                memcpy(buf, p, len);
                buf[len] = 0;
                groups[ngroups++] = number(buf, 10, 0, 4294967294LL, arg);
                p += len;
                if (*p && !*++p) fail("usage", arg, EINVAL);
            }
        } else if (KEY("fd")) {
            char *colon = strchr(v, ':'), target[16];
            if (!colon || colon - v >= (long) sizeof target || nfds == MAX_FDS) fail("usage", arg, EINVAL);
            memcpy(target, v, colon - v);
            target[colon - v] = 0;
            fds[nfds].target = number(target, 10, 0, INT_MAX, arg);
            fds[nfds].source = number(colon + 1, 10, 0, INT_MAX, arg);
            fds[nfds++].arg = v;
        } else if (KEY("rlimit")) {
            char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, field[32];
            if (!c2 || nlimits == MAX_RLIMITS) fail("usage", arg, EINVAL);
            struct limit *l = &limits[nlimits++];
            size_t len = c1 - v;
            l->resource = -1;
            for (size_t r = 0; r < sizeof RLIMIT_NAMES / sizeof *RLIMIT_NAMES; r++)
                if (strlen(RLIMIT_NAMES[r]) == len && !memcmp(v, RLIMIT_NAMES[r], len)) l->resource = r;
            if (l->resource < 0) {
                if (len >= sizeof field) fail("usage", arg, EINVAL);
                memcpy(field, v, len);
                field[len] = 0;
                l->resource = number(field, 10, 0, 63, arg);
            }
            len = c2 - c1 - 1;
            if (len >= sizeof field) fail("usage", arg, EINVAL);
            memcpy(field, c1 + 1, len);
            field[len] = 0;
            l->value.rlim_cur = limit_value(field, arg);
            l->value.rlim_max = limit_value(c2 + 1, arg);
            l->arg = v;
        } else fail("usage", arg, EINVAL);
#undef KEY
    }
    if (argc - i < 3) fail("usage", "missing -- PATH ARGV0", EINVAL);
    const char *path = argv[i + 1];
    char **program_argv = &argv[i + 2];

    if (mount_early) early_mounts();
    for (int c = 0; c < ncgroups; c++) join_cgroup(cgroups[c]);
    if (new_session && setsid() < 0) fail("setsid", "", errno);
    if (root) {
        if (chroot(root) < 0) fail("chroot", root, errno);
        /* Never leave the working directory outside the new root, not even until cwd= is applied. */
        if (chdir("/") < 0) fail("chdir", "/", errno);
    }
    if (have_nice && setpriority(PRIO_PROCESS, 0, nice) < 0) fail("nice", nice_text, errno);
    int oom_refused = 0;
    if (oom) {
        /*
         * As systemd: a refusal (no CAP_SYS_RESOURCE to lower the score, as for root in a container) is no reason
         * not to run the service. It is said once the program's stderr is in place, below.
         */
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, oom, strlen(oom)) < 0) {
            if (errno != EPERM && errno != EACCES) fail("oom", oom, errno);
            oom_refused = errno;
        }
        if (fd >= 0) close(fd);
    }
    for (int l = 0; l < nlimits; l++)
        if (setrlimit(limits[l].resource, &limits[l].value) < 0) fail("rlimit", limits[l].arg, errno);
    if (have_umask) umask(mask);
    for (int cap = 0; cap < 64; cap++)
        if ((drop_bounding >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) fail("capbset", bounding_text, errno);
    if (securebits_text && prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != securebits
            && prctl(PR_SET_SECUREBITS, (unsigned long) securebits, 0, 0, 0) < 0)
        fail("securebits", securebits_text, errno);
    if (ambient) raise_inheritable(ambient, ambient_text);
    if (ngroups >= 0 && setgroups(ngroups, groups) < 0) fail("setgroups", groups_text, errno);
    if (gid >= 0 && setgid(gid) < 0) fail("setgid", gid_text, errno);
    if (uid >= 0 && setuid(uid) < 0) fail("setuid", uid_text, errno);
    for (int cap = 0; cap < 64; cap++)
        if ((ambient >> cap & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            fail("ambient", ambient_text, errno);
    if (cwd && chdir(cwd) < 0) fail("chdir", cwd, errno);
    if (nonewprivs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("nonewprivs", "", errno);

    /*
     * The fd layout. First every source (and the err fd) moves above the highest target, so no dup2 below can
     * overwrite a source another entry still needs (fd=3:4 fd=4:3 swaps); the copies are close-on-exec. Then each
     * copy is dup2()ed into place, which leaves the target inheritable. Last, everything else >= 3 is closed.
     */
    int above = 3;
    for (int f = 0; f < nfds; f++)
        if (fds[f].target >= above) above = fds[f].target + 1;
    if (err_fd >= 0) {
        int moved = fcntl(err_fd, F_DUPFD_CLOEXEC, above);
        if (moved < 0) fail("fd", "err", errno);
        err_fd = moved;
    }
    for (int f = 0; f < nfds; f++)
        if ((fds[f].moved = fcntl(fds[f].source, F_DUPFD_CLOEXEC, above)) < 0) fail("fd", fds[f].arg, errno);
    for (int f = 0; f < nfds; f++)
        if (dup2(fds[f].moved, fds[f].target) < 0) fail("fd", fds[f].arg, errno);
    for (int fd = 3; fd < above; fd++) {
        int keep = 0;
        for (int f = 0; f < nfds; f++) keep |= fds[f].target == fd;
        if (!keep) close(fd);
    }
    if (err_fd >= 0) {
        close_between(above, err_fd - 1);
        close_between(err_fd + 1, ~0U);
    } else {
        close_between(above, ~0U);
    }

    if (oom_refused)
        dprintf(2, "vigil-exec: oom %s: %s; ignored, as systemd ignores it (no privilege to lower the score, "
                "as in a container)\n", oom, strerror(oom_refused));

    if (listen_pid || npid_env) {
        char pid[24];
        snprintf(pid, sizeof pid, "%d", (int) getpid());
        if (listen_pid && setenv("LISTEN_PID", pid, 1) < 0) fail("setenv", "LISTEN_PID", errno);
        for (int i = 0; i < npid_env; i++) {
            if (setenv(pid_env[i], pid, 1) < 0) fail("setenv", pid_env[i], errno);
        }
    }

    /*
     * Ignored signals survive execve (handled ones do not), and the spawning JVM thread blocks some: give the program
     * a clean slate. Only the ignored ones need resetting, and /proc says which in three system calls instead of 64
     * (each costs microseconds in a VM). The raw system call, because glibc's sigaction refuses its reserved signals
     * 32 and 33, which arrive ignored from posix_spawn. An all-zero struct is SIG_DFL with no flags and an empty
     * mask whatever the architecture's field order.
     */
    static const unsigned long dfl[4];
    unsigned long long ignored = ignored_signals();
    for (int s = 1; s < NSIG && s <= 64; s++)
        if ((ignored >> (s - 1) & 1) && s != SIGKILL && s != SIGSTOP)
            syscall(SYS_rt_sigaction, s, dfl, NULL, sizeof(unsigned long));
    sigprocmask(SIG_SETMASK, &blocked, NULL);

    if (before) run_before(before);
    execve(path, program_argv, environ);
    fail("exec", path, errno);
}
