package dev.rill.spi;

import java.util.List;

/**
 * What every provider of every plugin family has: a unique name, a one-line description and the
 * parameters it accepts. Providers are found with {@link java.util.ServiceLoader}.
 */
public interface Plugin {

    /** The name users write in configuration; unique within its family. */
    String name();

    /** One line for {@code rill plugins} and {@code /api/plugins}. */
    String description();

    /** The parameters this provider accepts, with defaults and valid ranges. */
    default List<ParamSpec> parameters() {
        return List.of();
    }

    /** Checks user-given values against {@link #parameters()} and fills in defaults. */
    default Params params(java.util.Map<String, ?> given) {
        return Params.resolve(this, given);
    }
}
