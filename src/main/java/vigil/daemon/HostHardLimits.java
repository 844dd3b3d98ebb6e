package vigil.daemon;

import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalLong;
import vigil.os.OsException;
import vigil.os.Rlimits;
import vigil.unit.HardLimits;
import vigil.unit.ResourceLimit;

/**
 * This host's ceilings on the units' {@code Limit*=}: for each resource whose hard limit Vigil may not raise (no
 * CAP_SYS_RESOURCE, as for root in a container), Vigil's own hard limit, which its children inherit. Found once,
 * on first use of each resource, and kept: the answer only changes with Vigil's privileges.
 */
final class HostHardLimits implements HardLimits {
    private final Map<ResourceLimit.Resource, OptionalLong> ceilings = new EnumMap<>(ResourceLimit.Resource.class);

    @Override
    public synchronized OptionalLong ceiling(ResourceLimit.Resource resource) {
        return ceilings.computeIfAbsent(resource, HostHardLimits::probe);
    }

    private static OptionalLong probe(ResourceLimit.Resource resource) {
        try {
            if (Rlimits.mayRaiseHard(resource.number())) return OptionalLong.empty();
            return OptionalLong.of(Rlimits.of(resource.number()).hard());
        } catch (OsException e) {
            // Unreadable limits: apply the unit's as written, and let a refusal say why.
            return OptionalLong.empty();
        }
    }
}
