package org.blockmirror.role;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.blockmirror.role.GenerationState.Flag;

/** Hand-made states for the rule tests: generations are small numbers, 0 = none. */
final class States {
    private States() {
    }

    static GenerationId g(long v) {
        return new GenerationId(v);
    }

    static GenerationState primary(long current, long agreed, long... history) {
        return state(Role.PRIMARY, current, agreed, history);
    }

    static GenerationState secondary(long current, long agreed, long... history) {
        return state(Role.SECONDARY, current, agreed, history);
    }

    static GenerationState state(Role role, long current, long agreed, long... history) {
        return new GenerationState(role, g(current), g(agreed),
                Arrays.stream(history).mapToObj(States::g).toList(), EnumSet.noneOf(Flag.class));
    }

    static GenerationState with(GenerationState s, Flag... flags) {
        EnumSet<Flag> f = EnumSet.noneOf(Flag.class);
        f.addAll(s.flags());
        f.addAll(List.of(flags));
        return new GenerationState(s.role(), s.current(), s.agreed(), s.history(), f);
    }
}
