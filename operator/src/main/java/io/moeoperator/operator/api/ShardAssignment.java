package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The routed experts one rank holds; the same in every group. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ShardAssignment(
        int rank,
        @JsonPropertyDescription("Expert ids as ranges, e.g. 0-15; or a share such as 1/2 when the expert count is unknown.")
        String experts,
        @JsonPropertyDescription("How many experts, when known.")
        Integer count) {
}
