package io.moeoperator.server.api;

import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Request bodies must be well-formed UTF-8, as JSON (RFC 8259) requires. Jackson refuses most
 * malformed bytes itself, but decodes overlong forms such as {@code C0 AF} (a disguised '/') and
 * code points above U+10FFFF without complaint, and what a parser quietly repairs is what a filter in
 * front of the server may have read differently. So every body is checked as it is read, against
 * the well-formed byte sequences of Unicode's table 3-7, and the first bad byte is a 400 naming its
 * offset.
 */
@Provider
public class StrictUtf8 implements ReaderInterceptor {

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        context.setInputStream(new Checked(context.getInputStream()));
        return context.proceed();
    }

    /** Thrown while reading a body that is not UTF-8; an IOException, so JSON parsers pass it on as it is. */
    static final class MalformedBodyException extends IOException {
        MalformedBodyException(String message) {
            super(message);
        }
    }

    /** Checks each byte as it passes; only state is the rest of the current character. */
    static final class Checked extends FilterInputStream {
        private long offset;
        /** Continuation bytes still expected for the current character. */
        private int pending;
        /** The allowed range of the next continuation byte (narrower right after some lead bytes). */
        private int low = 0x80;
        private int high = 0xBF;

        Checked(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                end();
            } else {
                check(b);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n < 0) {
                end();
            }
            for (int i = 0; i < n; i++) {
                check(buf[off + i] & 0xFF);
            }
            return n;
        }

        private void check(int b) throws MalformedBodyException {
            if (pending > 0) {
                if (b < low || b > high) {
                    throw bad(b, "is not a continuation of the character before it");
                }
                pending--;
                low = 0x80;
                high = 0xBF;
            } else if (b >= 0x80) {
                // Lead bytes: C2-DF take 1 more, E0-EF 2, F0-F4 3; the second byte of E0, ED, F0 and F4 is
                // narrowed so that no overlong form, surrogate or code point above U+10FFFF gets through.
                if (b >= 0xC2 && b <= 0xDF) {
                    pending = 1;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    pending = 2;
                    low = b == 0xE0 ? 0xA0 : 0x80;
                    high = b == 0xED ? 0x9F : 0xBF;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    pending = 3;
                    low = b == 0xF0 ? 0x90 : 0x80;
                    high = b == 0xF4 ? 0x8F : 0xBF;
                } else {
                    throw bad(b, b == 0xC0 || b == 0xC1 ? "starts an overlong encoding" : "cannot start a character");
                }
            }
            offset++;
        }

        private void end() throws MalformedBodyException {
            if (pending > 0) {
                throw new MalformedBodyException("the request body is not valid UTF-8: it ends in the middle of a"
                        + " character");
            }
        }

        private MalformedBodyException bad(int b, String why) {
            return new MalformedBodyException(String.format("the request body is not valid UTF-8: byte 0x%02X at"
                    + " offset %d %s", b, offset, why));
        }
    }
}
