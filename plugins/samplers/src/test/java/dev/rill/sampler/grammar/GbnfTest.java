package dev.rill.sampler.grammar;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GBNF as llama.cpp writes it: what each construct accepts, and the errors for bad grammars. */
class GbnfTest {

    /** llama.cpp's grammars/json.gbnf, as published. */
    static final String LLAMA_CPP_JSON = """
            root   ::= object
            value  ::= object | array | string | number | ("true" | "false" | "null") ws

            object ::=
              "{" ws (
                        string ":" ws value
                ("," ws string ":" ws value)*
              )? "}" ws

            array  ::=
              "[" ws (
                        value
                ("," ws value)*
              )? "]" ws

            string ::=
              "\\"" (
                [^"\\\\\\x7F\\x00-\\x1F] |
                "\\\\" (["\\\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
              )* "\\"" ws

            number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

            # Optional space: by convention, applied in this grammar after literal chars when allowed
            ws ::= | " " | "\\n" [ \\t]{0,20}
            """;

    static Matcher m(String gbnf) {
        return new Matcher(Grammar.parse(gbnf));
    }

    @Test
    void llamaCppJsonGrammarAcceptsJsonObjectsOnly() {
        Matcher json = m(LLAMA_CPP_JSON);
        assertTrue(json.matches("{}"));
        assertTrue(json.matches("{\"a\": [1, -2.5e+3, true, null, \"x\\n\\u00e9é\"], \"b\": {}}"));
        assertTrue(json.matches("{\n  \"a\":1}"));
        assertFalse(json.matches("[]"));
        assertFalse(json.matches("{\"a\":}"));
        assertFalse(json.matches("{\"a\":1,}"));
        assertFalse(json.matches("{\"a\": \"tab\there\"}"));
        assertFalse(json.matches("{} x"));
        assertFalse(json.matches("{"));
    }

    @Test
    void repetitionsCountExactly() {
        Matcher r = m("root ::= \"a\"{2,4} [0-9]{3} \"x\"? (\"yz\")* \"!\"+\n");
        assertTrue(r.matches("aa123!"));
        assertTrue(r.matches("aaaa123xyzyz!!!"));
        assertFalse(r.matches("a123!"));
        assertFalse(r.matches("aaaaa123!"));
        assertFalse(r.matches("aa12!"));
        assertFalse(r.matches("aa123y!"));
        assertFalse(r.matches("aa123"));
        Matcher open = m("root ::= [a]{2,}");
        assertTrue(open.matches("aaaaaaaaaa"));
        assertFalse(open.matches("a"));
        Matcher exact = m("root ::= (\"ab\"){3}");
        assertTrue(exact.matches("ababab"));
        assertFalse(exact.matches("abab"));
    }

    @Test
    void classesNegationEscapesAndAnyCharacter() {
        Matcher r = m("root ::= [^a-z\\x00-\\x1F] [\\u00e9\\U0001F600-\\U0001F64F] . \"\\\"\\\\\\t\"");
        assertTrue(r.matches("Aé€\"\\\t"));
        assertTrue(r.matches("9😀x\"\\\t"));
        assertFalse(r.matches("aé€\"\\\t"));
        assertFalse(r.matches("Ae€\"\\\t"));
        assertTrue(m("root ::= [-a]+").matches("-a-"));
        assertTrue(m("root ::= [a-]+").matches("a-"));
    }

    @Test
    void rulesContinueInParenthesesAndOnLinesStartingWithABar() {
        Matcher r = m("""
                root ::= greeting " " name   # a comment
                greeting ::= "hello"
                  | "hi"
                name ::= (
                  "world" |
                  "you"
                )
                """);
        assertTrue(r.matches("hello world"));
        assertTrue(r.matches("hi you"));
        assertFalse(r.matches("hey you"));
    }

    @Test
    void rightRecursionAndNestingWork() {
        Matcher r = m("root ::= item\nitem ::= \"(\" item \")\" | \"x\"");
        assertTrue(r.matches("((((x))))"));
        assertFalse(r.matches("((x)"));
        assertTrue(m("root ::= \"\" \"a\"").matches("a"));
        assertTrue(m("root ::= \"\"").matches(""));
    }

    @Test
    void badGrammarsGetOneLineNamingTheProblem() {
        assertEquals("the grammar has no 'root' rule; it is where parsing starts",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("start ::= \"a\"")).getMessage());
        assertEquals("grammar line 1: rule 'b' is used but never defined",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= \"a\" b")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= root \"a\" | \"a\""))
                .getMessage().contains("left-recursive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= x\nx ::= y? x \"a\"\ny ::= \"b\""))
                .getMessage().contains("left-recursive"));
        assertEquals("grammar line 1: unterminated string literal",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= \"abc")).getMessage());
        assertEquals("grammar line 2: expected '::=' after rule name 'b'",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= \"a\"\nb = \"c\"")).getMessage());
        assertEquals("grammar line 1: unknown escape '\\q'",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= \"\\q\"")).getMessage());
        assertEquals("grammar line 1: repetition {3,2} has its maximum below its minimum",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= \"a\"{3,2}")).getMessage());
        assertEquals("grammar line 3: rule 'a' is defined twice",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= a\na ::= \"x\"\na ::= \"y\"")).getMessage());
        assertEquals("the grammar is empty; it needs at least a root rule",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("  \n\t")).getMessage());
        assertEquals("the grammar has no 'root' rule; it is where parsing starts",
                assertThrows(IllegalArgumentException.class, () -> Grammar.parse("  \n# nothing\n")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= <[1000]>"))
                .getMessage().contains("token references"));
    }
}
