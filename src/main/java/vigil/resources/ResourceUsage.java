package vigil.resources;

import java.util.OptionalLong;

/**
 * What a service's cgroup uses now, for {@code vigil status}: read from its controllers when asked, never kept.
 *
 * @param memoryBytes    memory.current (v2) or memory.usage_in_bytes (v1)
 * @param memoryMax      the memory limit in force, if any
 * @param cpuNanos       CPU time used: cpu.stat's usage_usec (v2) or cpuacct.usage (v1)
 * @param tasks          pids.current
 * @param tasksMax       the task limit in force, if any
 * @param oomKills       processes the OOM killer killed in the cgroup
 */
public record ResourceUsage(OptionalLong memoryBytes, OptionalLong memoryMax, OptionalLong cpuNanos,
                            OptionalLong tasks, OptionalLong tasksMax, long oomKills) {}
