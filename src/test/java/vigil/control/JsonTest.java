package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() throws Exception {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": \"\"} ");
        Map<?, ?> map = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "e"), List.copyOf(map.keySet()), "key order is kept");
        assertEquals(Arrays.asList(1L, -2L, 3.5, 1000.0, true, false, null), map.get("a"));
        assertEquals(Map.of("c", "d"), map.get("b"));
        assertEquals("", map.get("e"));
    }

    @Test
    void decodesEscapes() throws Exception {
        assertEquals("a\"b\\c/d\b\f\n\r\té€", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20AC\""));
        assertEquals("😀", Json.parse("\"\\ud83d\\ude00\""), "a surrogate pair");
        assertEquals("ünïcödé", Json.parse("\"ünïcödé\""));
    }

    @Test
    void numbersTooBigForALongBecomeDoubles() throws Exception {
        assertEquals(9223372036854775807L, Json.parse("9223372036854775807"));
        assertEquals(1e19, Json.parse("10000000000000000000"));
        assertEquals(0L, Json.parse("-0"));
    }

    /** Infinity has no JSON form: such an id could never be echoed in the reply (which once went unanswered). */
    @ParameterizedTest
    @ValueSource(strings = {"1e999", "-1e999", "1E400", "123456789012345678901234567890e300"})
    void refusesNumbersBeyondADouble(String number) {
        Json.ParseException e = assertThrows(Json.ParseException.class,
                () -> Json.parse("{\"v\":1,\"id\":" + number + "}"));
        assertEquals("malformed JSON at character 13: number " + number + " is out of range, in \"id\"",
                e.getMessage());
    }

    @Test
    void refusesAnIntegerBeyondADouble() {
        String huge = "1" + "0".repeat(400);
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("[" + huge + "]"));
        assertTrue(e.getMessage().contains("is out of range"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{a:1}",
        "'a'", "01", "1.", ".5", "1e", "-", "+1", "tru", "nul", "\"abc", "\"a\nb\"", "\"\\x\"", "\"\\u12\"",
        "\"\\u12G4\"", "{\"a\":1,\"a\":2}", "1 2", "[1]x", "NaN", "Infinity"})
    void rejectsMalformedInput(String text) {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().startsWith("malformed JSON at character "), e.getMessage());
    }

    @Test
    void refusesDeepNesting() throws Exception {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok);
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nested deeper than " + Json.MAX_DEPTH), e.getMessage());
    }

    @Test
    void writesAndReadsBack() throws Exception {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("s", "quote\" backslash\\ nl\n tab\t ctl\u0001 sep\u2028 é");
        map.put("n", 42L);
        map.put("i", 7);
        map.put("d", 2.5);
        map.put("b", true);
        map.put("z", null);
        map.put("l", List.of(1L, "x", Map.of()));
        String text = Json.write(map);
        assertTrue(text.contains("\\u0001") && text.contains("\\u2028"), text);
        assertTrue(text.indexOf('\n') < 0, "one line: " + text);
        Map<?, ?> back = (Map<?, ?>) Json.parse(text);
        assertEquals(map.get("s"), back.get("s"));
        assertEquals(7L, back.get("i"));
        assertEquals(2.5, back.get("d"));
        assertNull(back.get("z"));
        assertTrue(back.containsKey("z"));
        assertEquals(List.of(1L, "x", Map.of()), back.get("l"));
        assertEquals("{\"a\":[1,2]}", Json.write(Map.of("a", List.of(1, 2))));
    }

    @Test
    void refusesToWriteWhatJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
    }
}
