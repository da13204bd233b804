package dev.rill.spi;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parameter checking: defaults, ranges, and errors that carry the parameter they are about. */
class ParamsTest {

    private static final Plugin PLUGIN = new Plugin() {
        @Override
        public String name() {
            return "p";
        }

        @Override
        public String description() {
            return "a plugin with two parameters";
        }

        @Override
        public List<ParamSpec> parameters() {
            return List.of(ParamSpec.realAbove("penalty", 1.0, 0, 10, "a factor").withAliases("penalty_factor"),
                    ParamSpec.choice("mode", "a", List.of("a", "b"), "a mode"));
        }
    };

    @Test
    void defaultsFillInAndValuesAreParsed() {
        Params p = PLUGIN.params(Map.of("penalty", "2.5"));
        assertEquals(2.5, p.getDouble("penalty"));
        assertEquals("a", p.getString("mode"));
        assertEquals(List.of("penalty_factor"), PLUGIN.parameters().getFirst().aliases());
    }

    @Test
    void errorsCarryTheParameterTheyAreAbout() {
        ParamException bad = assertThrows(ParamException.class, () -> PLUGIN.params(Map.of("penalty", 0)));
        assertEquals("penalty", bad.param());
        assertTrue(bad.getMessage().contains("(0, 10]"), bad.getMessage());
        ParamException choice = assertThrows(ParamException.class, () -> PLUGIN.params(Map.of("mode", "c")));
        assertEquals("mode", choice.param());
        assertTrue(choice.getMessage().contains("one of a, b"), choice.getMessage());
        ParamException unknown = assertThrows(ParamException.class, () -> PLUGIN.params(Map.of("speed", 1)));
        assertEquals("speed", unknown.param());
        assertTrue(unknown.getMessage().contains("accepted: mode, penalty"), unknown.getMessage());
    }
}
