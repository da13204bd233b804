package dev.rill.model;

import dev.rill.spi.PositionalEncoder;

/** Lets tests in other packages build a model without positions. */
public final class GradientCheckTestAccess {

    private GradientCheckTestAccess() {
    }

    public static PositionalEncoder noPositions() {
        return GradientCheckTest.NO_POSITIONS;
    }
}
