package vigil.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A whole response: status, content type, body, and any further headers. */
record HttpResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
    static HttpResponse text(int status, String body) {
        return new HttpResponse(status, "text/plain; charset=utf-8", (body + "\n").getBytes(StandardCharsets.UTF_8),
                Map.of());
    }

    static HttpResponse of(int status, String contentType, String body) {
        return new HttpResponse(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    HttpResponse with(String header, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(header, value);
        return new HttpResponse(status, contentType, body, more);
    }

    /** The status line and headers; {@code close} says the connection ends after it. */
    byte[] head(boolean close) {
        StringBuilder b = new StringBuilder(256);
        b.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        b.append("Content-Type: ").append(contentType).append("\r\n");
        b.append("Content-Length: ").append(body.length).append("\r\n");
        b.append("Cache-Control: no-store\r\n");
        b.append("X-Content-Type-Options: nosniff\r\n");
        for (Map.Entry<String, String> h : headers.entrySet()) {
            b.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        if (close) b.append("Connection: close\r\n");
        b.append("\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }
}
