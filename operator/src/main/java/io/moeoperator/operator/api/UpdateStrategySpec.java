package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * How a serving group moves to a new pod template (model, image, shard plan, resources...). A group
 * is always replaced as a unit: its ranks exchange tokens for their experts, so ranks of two
 * revisions must never serve together.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UpdateStrategySpec(
        @JsonPropertyDescription("Surge (default): the new revision of a group starts beside the old one, which serves until "
                + "the new one is ready; needs room for one extra group. Recreate: the old revision of a group stops first, "
                + "then the new one starts; for clusters without room for an extra group (one group less serves meanwhile). "
                + "Either way one group at a time.")
        Type type) {

    public enum Type { Surge, Recreate }
}
