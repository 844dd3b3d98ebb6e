/*
 * bench/deps's service: a Type=notify service's whole life, as cheap as a process can be. It sends READY=1 to
 * $NOTIFY_SOCKET, then waits for the signal that stops it. With $BENCH_STAMPS set it appends one line to that file
 * after READY=1 is sent: "NAME T_MAIN T_READY", CLOCK_MONOTONIC nanoseconds at main() and just before the send,
 * so the bench can split a start into Vigil's part and the service's own. Compiled by bench/deps, not part of
 * Vigil (a shell's systemd-notify costs ~10 ms a start, which would hide what is measured).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    long long t_main = now_ns();
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL) return 2;
    size_t len = strlen(path);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (len == 0 || len >= sizeof sa.sun_path) return 2;
    memcpy(sa.sun_path, path, len);
    int abstract = path[0] == '@';
    if (abstract) sa.sun_path[0] = '\0';
    socklen_t sa_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 0 : 1));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 3;
    long long t_ready = now_ns();
    if (sendto(fd, "READY=1", 7, 0, (struct sockaddr *) &sa, sa_len) < 0) return 3;
    close(fd);
    const char *stamps = getenv("BENCH_STAMPS");
    if (stamps != NULL) {
        int out = open(stamps, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (out >= 0) {
            char line[256];
            int n = snprintf(line, sizeof line, "%s %lld %lld\n", argc > 1 ? argv[1] : "?", t_main, t_ready);
            if (n > 0 && write(out, line, (size_t) n) < 0) return 4;
            close(out);
        }
    }
    for (;;) pause();
}
