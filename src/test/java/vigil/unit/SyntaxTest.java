package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SyntaxTest {
    private static final Path FILE = Path.of("/units/a.service");

    private static List<String> entries(String text) {
        return Parser.parse(FILE, text).entries().stream()
                .map(e -> e.section() + "." + e.key() + "=" + e.value() + "@" + e.source().line()).toList();
    }

    @Test
    void sectionsKeysAndValuesAreTrimmed() {
        assertEquals(List.of("Unit.Description=My  service@3", "Service.ExecStart=/bin/true@5"),
                entries("\n[Unit]\n  Description =  My  service  \n[Service]\r\nExecStart=/bin/true\r\n"));
    }

    /** No value can carry a NUL to the kernel: a path with one once threw InvalidPathException (a fuzzer's find). */
    @Test
    void aLineWithANulByteIsAnErrorNamingItsLineAndIsIgnored() {
        Parser.ParsedFile parsed = Parser.parse(FILE, "[Service]\nPIDFile=/run/a\0b.pid\nExecStart=/bin/true\n");
        assertEquals(List.of("Service.ExecStart=/bin/true@3"), parsed.entries().stream()
                .map(e -> e.section() + "." + e.key() + "=" + e.value() + "@" + e.source().line()).toList());
        assertEquals(1, parsed.diagnostics().size(), parsed.diagnostics().toString());
        String said = parsed.diagnostics().getFirst().format();
        assertTrue(said.contains("a.service:2") && said.contains("NUL"), said);
    }

    @Test
    void commentsStartALineOnly() {
        assertEquals(List.of("Unit.Description=a # not a comment ; nor this@4"),
                entries("[Unit]\n# comment\n   ; also a comment\nDescription=a # not a comment ; nor this\n"));
    }

    @Test
    void trailingBackslashJoinsLinesWithASpaceAndSkipsCommentLines() {
        assertEquals(List.of("Service.ExecStart=/bin/echo a    b  c@2", "Service.Type=simple@6"),
                entries("[Service]\nExecStart=/bin/echo a \\\n  b \\\n# a comment inside\nc\nType=simple\n"));
    }

    @Test
    void anEscapedBackslashAtTheEndDoesNotContinue() {
        assertEquals(List.of("Service.A=x\\\\@2", "Service.B=y@3"), entries("[Service]\nA=x\\\\\nB=y\n"));
    }

    @Test
    void aContinuationAtTheEndOfTheFileStillCounts() {
        assertEquals(List.of("Service.A=x   y@2"), entries("[Service]\nA=x \\\n y\\"));
    }

    /**
     * 40,000 continued lines of 200 characters: the lexer used to scan the whole logical line again for every
     * piece appended to it, 160 billion characters here (a minute and a half). Looked at once each, they take a
     * fraction of a second: the timeout is only a guard against a hang.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void manyContinuedLinesAreJoinedInOnePass() {
        int lines = 40_000;
        String piece = "x".repeat(199);
        var text = new StringBuilder("[Service]\nExecStart=/bin/echo \\\n");
        for (int i = 0; i < lines; i++) text.append(piece).append("\\\n");
        text.append("end\nType=simple\n");
        List<Parser.Entry> entries = Parser.parse(FILE, text.toString()).entries();
        assertEquals(2, entries.size());
        String value = entries.getFirst().value();
        assertEquals("/bin/echo  " + (piece + " ").repeat(lines) + "end", value);
        assertEquals(lines + 4, entries.get(1).source().line());
    }

    @Test
    void anOddRunOfTrailingBackslashesContinuesAndAnEvenOneDoesNot() {
        assertEquals(List.of("Service.A=x\\\\  y@2", "Service.B=z\\\\\\\\@4"),
                entries("[Service]\nA=x\\\\\\\n y\nB=z\\\\\\\\\n"));
    }

    @Test
    void byteOrderMarkIsIgnored() {
        assertEquals(List.of("Unit.A=b@2"), entries("\uFEFF[Unit]\nA=b\n"));
    }

    @Test
    void emptyValueIsKept() {
        assertEquals(List.of("Service.ExecStart=@2"), entries("[Service]\nExecStart=\n"));
    }

    @Test
    void lineWithoutEqualsIsAnErrorWithItsLine() {
        Parser.ParsedFile f = Parser.parse(FILE, "[Unit]\nDescription=x\njunk here\n");
        assertEquals(1, f.diagnostics().size());
        Diagnostic d = f.diagnostics().getFirst();
        assertTrue(d.isError());
        assertEquals("/units/a.service:3: missing '=' in 'junk here'", d.format());
    }

    /** A file of garbage is one problem: its first errors and a count, not a log line for each of its lines. */
    @Test
    void aFileOfGarbageGivesTheFirstErrorsAndACount() {
        String garbage = ("x".repeat(500) + "\n").repeat(1000);
        Parser.ParsedFile f = Parser.parse(FILE, "[Service]\n" + garbage);
        List<String> said = f.diagnostics().stream().map(Diagnostic::format).toList();
        assertEquals(Parser.MAX_SYNTAX_ERRORS + 1, said.size());
        assertEquals("/units/a.service:2: missing '=' in '" + "x".repeat(80) + "...'", said.getFirst());
        assertEquals("/units/a.service: " + (1000 - Parser.MAX_SYNTAX_ERRORS) + " more syntax problems, not shown",
                said.getLast());
        assertTrue(f.diagnostics().getLast().isError());
    }

    @Test
    void brokenSectionHeaderIsAnError() {
        Parser.ParsedFile f = Parser.parse(FILE, "[Unit\nA=b\n");
        assertEquals(List.of("/units/a.service:1: invalid section header '[Unit'"),
                f.diagnostics().stream().map(Diagnostic::format).toList());
        assertEquals(List.of(), f.entries());
    }

    @Test
    void assignmentBeforeAnySectionIsAWarning() {
        Parser.ParsedFile f = Parser.parse(FILE, "A=b\n[Unit]\nC=d\n");
        assertEquals(1, f.diagnostics().size());
        assertEquals(Diagnostic.Severity.WARNING, f.diagnostics().getFirst().severity());
        assertEquals(1, f.diagnostics().getFirst().source().line());
        assertEquals(List.of("Unit.C=d@3"), entries("A=b\n[Unit]\nC=d\n"));
    }

    @Test
    void lexerNumbersLogicalLinesByTheirFirstLine() {
        assertEquals(List.of(new Lexer.Line(1, "a b"), new Lexer.Line(3, "c")), Lexer.lines("a\\\nb\nc"));
    }
}
