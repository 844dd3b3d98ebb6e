package vigil.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code --http ADDR [--http-token FILE]}: where to serve, and the bearer token that actions over TCP need (read
 * once, at start; without one, TCP is read-only).
 */
public record HttpOptions(HttpAddress address, Optional<String> token) {
    /** The smallest token accepted: a short one could be guessed over loopback by anyone on the machine. */
    static final int MIN_TOKEN_LENGTH = 16;

    /**
     * @throws IllegalArgumentException naming the option or the file, and what is wrong with it
     */
    public static HttpOptions parse(String address, Path tokenFile) {
        HttpAddress parsed = HttpAddress.parse(address);
        if (tokenFile == null) return new HttpOptions(parsed, Optional.empty());
        String token;
        try {
            token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("--http-token " + tokenFile + ": cannot read it: " + e.getMessage());
        }
        if (token.length() < MIN_TOKEN_LENGTH || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("--http-token " + tokenFile + ": the token must be at least "
                    + MIN_TOKEN_LENGTH + " printable ASCII characters, with no spaces");
        }
        return new HttpOptions(parsed, Optional.of(token));
    }
}
