package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordsTest {
    @Test
    void blanksSeparateAndQuotesGroup() throws InvalidValueException {
        assertEquals(List.of("a", "b c", "d e", "f"), Words.split("  a 'b c'\t\"d e\"   f "));
    }

    @Test
    void quotesMayStartInsideAWord() throws InvalidValueException {
        assertEquals(List.of("--opt=a b", "xy"), Words.split("--opt='a b' x\"\"y"));
    }

    @Test
    void emptyQuotesAreAnEmptyWord() throws InvalidValueException {
        assertEquals(List.of("a", "", "b"), Words.split("a '' b"));
    }

    @Test
    void cEscapesInsideAndOutsideQuotes() throws InvalidValueException {
        assertEquals(List.of("a\nb", "tab\there", "sp ace", "A", "\\", "q\"", "é", "\u00e9", "\u20ac", "\u0041"),
                Words.split("a\\nb 'tab\\there' sp\\sace \\x41 \\\\ \"q\\\"\" \\xc3\\xa9 \\u00e9 \\U000020ac \\101"));
    }

    @Test
    void badInputIsAnError() {
        assertEquals("unbalanced quote '",
                assertThrows(InvalidValueException.class, () -> Words.split("'abc")).getMessage());
        assertEquals("invalid escape \\q",
                assertThrows(InvalidValueException.class, () -> Words.split("a\\qb")).getMessage());
        assertEquals("trailing backslash",
                assertThrows(InvalidValueException.class, () -> Words.split("abc\\")).getMessage());
        assertThrows(InvalidValueException.class, () -> Words.split("\\x00"));
        assertThrows(InvalidValueException.class, () -> Words.split("\\xg1"));
    }

    @Test
    void runtimeSplittingIsRelaxed() {
        assertEquals(List.of("-o", "Foo bar", "x\\", "open"), Words.splitRelaxed(" -o 'Foo bar' x\\\\ \"open"));
    }
}
