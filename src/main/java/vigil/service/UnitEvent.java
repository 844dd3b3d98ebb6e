package vigil.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.service.UnitState.Result;

/** Something that happened to a systemd unit, worth one line to a human and one event to a subscriber. */
public sealed interface UnitEvent {
    /** The human line, without the "vigil: NAME: " prefix. */
    String describe();

    // ---- starting ----

    /** The start was skipped: a {@code Condition*=} does not hold. */
    record ConditionUnmet(String condition) implements UnitEvent {
        public String describe() {
            return "start condition not met: " + condition;
        }
    }

    record StartLimitHit() implements UnitEvent {
        public String describe() {
            return "start request repeated too quickly; refusing to start (start limit hit)";
        }
    }

    record DirectoriesFailed(String reason) implements UnitEvent {
        public String describe() {
            return "cannot make its directories: " + reason;
        }
    }

    /** The main process was made; {@code command} is the command line as a human reads it. */
    record Started(String command, int pid) implements UnitEvent {
        public String describe() {
            return "started " + command + " (pid " + pid + ")";
        }
    }

    /** No main process could be made (fork failed, a required EnvironmentFile= is missing...). */
    record SpawnFailed(String reason) implements UnitEvent {
        public String describe() {
            return "cannot start: " + reason;
        }
    }

    /** execve of the main process failed in the child. */
    record ExecFailed(String reason) implements UnitEvent {
        public String describe() {
            return "cannot start: " + reason;
        }
    }

    /** The unit is active with a process: a oneshot's start is done, any other type runs. */
    record Running(boolean oneshot) implements UnitEvent {
        public String describe() {
            return oneshot ? "started" : "running";
        }
    }

    /** A RemainAfterExit= unit whose processes are done. */
    record RemainsActive() implements UnitEvent {
        public String describe() {
            return "exited; remains active";
        }
    }

    /** READY=1 came during the start. */
    record Ready() implements UnitEvent {
        public String describe() {
            return "ready";
        }
    }

    /** A {@code Type=dbus} unit's {@code BusName=} got an owner during the start: it is ready. */
    record BusNameOwned(String busName) implements UnitEvent {
        public String describe() {
            return "ready: " + busName + " is on the bus";
        }
    }

    /** A running {@code Type=dbus} unit's {@code BusName=} lost its owner: systemd stops the unit. */
    record BusNameLost(String busName) implements UnitEvent {
        public String describe() {
            return busName + " left the bus";
        }
    }

    record Reloaded() implements UnitEvent {
        public String describe() {
            return "reloaded";
        }
    }

    // ---- the main process ----

    record MainExited(ExitStatus status, Result result) implements UnitEvent {
        public String describe() {
            return "main process " + status.describe()
                    + (result == Result.SUCCESS ? "" : ", status=" + result.systemdName());
        }
    }

    /** A {@code Type=notify} main process ended, cleanly, without having said READY=1. */
    record ExitedBeforeReady() implements UnitEvent {
        public String describe() {
            return "exited before READY=1";
        }
    }

    /** After a daemon-reexec, the main process the old daemon had is gone or could not be taken again. */
    record MainLostInReexec(int pid, String reason) implements UnitEvent {
        public String describe() {
            return "main process pid " + pid + " is lost since the re-exec: " + reason;
        }
    }

    /** Forking without PIDFile=: the daemon is known only by its cgroup, or without one by its process group. */
    record NoPidFile(boolean cgroup) implements UnitEvent {
        public String describe() {
            return "no PIDFile=: the main process is unknown; its " + (cgroup ? "cgroup" : "process group")
                    + " stands for it";
        }
    }

    /** GuessMainPID=: the one process a forking start left behind is taken as the main process. */
    record MainGuessed(int pid) implements UnitEvent {
        public String describe() {
            return "main process is pid " + pid + " (guessed: the one process the start left behind)";
        }
    }

    /** A forking start ended and nothing of it is left to write PIDFile=: the start failed. */
    record PidFileNeverWritten(Path file) implements UnitEvent {
        public String describe() {
            return "the daemon never wrote its PID file " + file + " and nothing of it is left: failing";
        }
    }

    record MainFromPidFile(int pid, Path file) implements UnitEvent {
        public String describe() {
            return "main process is pid " + pid + " (from " + file + ")";
        }
    }

    record PidFileNamesNoProcess(Path file, int pid) implements UnitEvent {
        public String describe() {
            return "PID file " + file + " names pid " + pid + ", which does not exist";
        }
    }

    /**
     * The pid a PID file names is not the unit's.
     *
     * @param untrusted why others could have written the file, if they could
     */
    record PidFileRefused(Path file, int pid, String reason, Optional<String> untrusted) implements UnitEvent {
        public String describe() {
            return "refusing pid " + pid + " from PID file " + file + ": " + reason
                    + untrusted.map(why -> ", and the file is not root's alone (" + why + ")").orElse("");
        }
    }

    /** MAINPID= named a new main process, and it was taken. */
    record MainPidChanged(int pid) implements UnitEvent {
        public String describe() {
            return "main process is now pid " + pid;
        }
    }

    /**
     * MAINPID= named a process that is not the unit's, from a sender not root: said once per run.
     *
     * @param mainPid the main process that stays, or 0 if unknown
     */
    record MainPidRefused(int pid, int senderPid, int senderUid, String reason, int mainPid) implements UnitEvent {
        public String describe() {
            return "refusing MAINPID=" + pid + " from pid " + senderPid + " (uid " + senderUid + "): " + reason
                    + "; the main process stays " + (mainPid == 0 ? "unknown" : "pid " + mainPid)
                    + " (further refusals until the next start are not reported)";
        }
    }

    /** A forking daemon without a known pid is gone: its cgroup, or its process group, is empty. */
    record GroupEmpty(boolean cgroup) implements UnitEvent {
        public String describe() {
            return "its " + (cgroup ? "cgroup" : "process group") + " is empty: the daemon is gone";
        }
    }

    // ---- control processes ----

    /** A control command (ExecStartPre=, ExecStop=...) could not be started. */
    record ControlSpawnFailed(String command, String reason) implements UnitEvent {
        public String describe() {
            return "cannot start " + command + ": " + reason;
        }
    }

    record ControlExecFailed(String command, String reason) implements UnitEvent {
        public String describe() {
            return "cannot run " + command + ": " + reason;
        }
    }

    /** A control command ended other than with exit 0; {@code ignored} if its {@code -} prefix says so. */
    record ControlFailed(String command, ExitStatus status, boolean ignored) implements UnitEvent {
        public String describe() {
            return command + " " + status.describe() + (ignored ? " (ignored)" : "");
        }
    }

    // ---- signals and stopping ----

    /** @param toGroup it went to the process group (KillMode=control-group or mixed) */
    record Signalled(int signal, boolean toGroup) implements UnitEvent {
        public String describe() {
            return "sent " + Signals.name(signal) + (toGroup ? " to the process group" : "");
        }
    }

    /**
     * A signal went where a cgroup or an operator sent it.
     *
     * @param to "the cgroup" (KillMode=), "the control process", "every process" (kill --kill-whom=)
     */
    record SentTo(int signal, String to) implements UnitEvent {
        public String describe() {
            return "sent " + Signals.name(signal) + " to " + to;
        }
    }

    /** Type=notify-reload: the reload signal went to the main process. */
    record ReloadSignalled(int signal) implements UnitEvent {
        public String describe() {
            return "sent " + Signals.name(signal) + " to reload";
        }
    }

    /** The kernel refused a signal (EPERM: a process that took a uid Vigil may not signal). */
    record SignalRefused(int signal, int pid, String reason) implements UnitEvent {
        public String describe() {
            return "cannot send " + Signals.name(signal) + " to pid " + pid + ": " + reason;
        }
    }

    /** Said once per unit: KillMode=control-group reaches the process group instead. */
    record NoCgroups() implements UnitEvent {
        public String describe() {
            return "KillMode=control-group: no cgroups here, so the process group is signalled instead";
        }
    }

    /** The unit sent STOPPING=1. */
    record StoppingOnItsOwn() implements UnitEvent {
        public String describe() {
            return "stopping (STOPPING=1)";
        }
    }

    /** @param limit the watchdog interval, or empty for WATCHDOG=trigger */
    record WatchdogTimeout(Optional<Duration> limit) implements UnitEvent {
        public String describe() {
            return "watchdog timeout (limit " + limit.map(ServiceEvent::seconds).orElse("trigger") + ")";
        }
    }

    /** The phase {@code state} outlived its timeout. */
    record TimedOut(UnitState state) implements UnitEvent {
        public String describe() {
            return state.subState() + " timed out";
        }
    }

    /** SendSIGKILL=no: the stop gives up on its processes instead. */
    record NoFinalSignal(int signal) implements UnitEvent {
        public String describe() {
            return "not sending " + Signals.name(signal) + " (SendSIGKILL=no)";
        }
    }

    /** Processes outlived the final signal: they are no longer the unit's. */
    record Outlived(int signal) implements UnitEvent {
        public String describe() {
            return "processes still around after " + Signals.name(signal) + "; ignoring";
        }
    }

    // ---- the end of a run ----

    /** The OOM killer killed a process of the unit's cgroup (counted at the main process's death). */
    record OomKilled() implements UnitEvent {
        public String describe() {
            return "a process of the unit was killed by the OOM killer";
        }
    }

    /** The unit is dead or failed: stopped, skipped by a condition, or failed with {@code result}. */
    record Ended(Result result) implements UnitEvent {
        public String describe() {
            if (result == Result.SKIP_CONDITION) return "skipped: a start condition is not met";
            return result == Result.SUCCESS ? "stopped" : "failed with result '" + result.systemdName() + "'";
        }
    }

    /** @param restart which restart it will be, counting from 1 */
    record RestartScheduled(Duration delay, int restart) implements UnitEvent {
        public String describe() {
            return "scheduled restart in " + ServiceEvent.seconds(delay) + " (restart " + restart + ")";
        }
    }
}
