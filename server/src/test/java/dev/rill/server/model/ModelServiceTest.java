package dev.rill.server.model;

import dev.rill.spi.ParamSpec;
import dev.rill.spi.Plugin;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ModelServiceTest {

    static final Plugin BACKEND = new Plugin() {
        public String name() {
            return "test";
        }

        public String description() {
            return "a plugin with a kebab-case parameter";
        }

        public List<ParamSpec> parameters() {
            return List.of(ParamSpec.integer("max-sequences", 4, 1, 64, "slots"));
        }
    };

    @Test
    void backendParameterNamesFromEnvironmentVariablesFindTheirDeclaredSpelling() {
        for (String key : List.of("max-sequences", "max.sequences", "max_sequences", "MAX_SEQUENCES")) {
            Map<String, String> spelled = ModelService.declaredSpelling(BACKEND, Map.of(key, "16"));
            assertEquals(Map.of("max-sequences", "16"), spelled, key);
            assertEquals(16, BACKEND.params(spelled).getInt("max-sequences"));
        }
        // An unknown name is left as it is, for the plugin to refuse with the list of accepted ones.
        assertEquals(Map.of("bogus", "1"), ModelService.declaredSpelling(BACKEND, Map.of("bogus", "1")));
    }
}
