package vigil.unit;

import java.util.OptionalLong;

/**
 * The highest hard limit of each resource the host lets a service have, where Vigil may not raise it: a
 * {@code Limit*=} above it is lowered to it (systemd's {@code setrlimit_closest()}), so that a unit written for a
 * host with higher limits still starts.
 */
@FunctionalInterface
public interface HardLimits {
    /** No ceiling anywhere: every limit is applied as written (and a refused one fails the start). */
    HardLimits NONE = resource -> OptionalLong.empty();

    /** The ceiling for {@code resource}, or empty if Vigil may raise it as far as the unit asks. */
    OptionalLong ceiling(ResourceLimit.Resource resource);

    /**
     * {@code limit} lowered to the ceiling of {@code resource} as setrlimit_closest() lowers it (each of soft and
     * hard to at most the ceiling); {@code limit} itself if it fits.
     */
    default ResourceLimit closest(ResourceLimit.Resource resource, ResourceLimit limit) {
        OptionalLong ceiling = ceiling(resource);
        if (ceiling.isEmpty() || ceiling.getAsLong() == ResourceLimit.INFINITY) return limit;
        long top = ceiling.getAsLong();
        long soft = Long.compareUnsigned(limit.soft(), top) > 0 ? top : limit.soft();
        long hard = Long.compareUnsigned(limit.hard(), top) > 0 ? top : limit.hard();
        return soft == limit.soft() && hard == limit.hard() ? limit : new ResourceLimit(soft, hard);
    }
}
