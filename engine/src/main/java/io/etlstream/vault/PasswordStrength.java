package io.etlstream.vault;

/**
 * A rough strength estimate for a master password: length, character classes and an entropy estimate that
 * discounts repeats and runs ("aaaa", "1234"). Feedback for people, not a guarantee.
 */
public record PasswordStrength(int length, int classes, double entropyBits, String verdict) {

    /** Master passwords shorter than this are refused. */
    public static final int MIN_LENGTH = 12;

    public boolean acceptable() {
        return length >= MIN_LENGTH;
    }

    /** One line for the console, e.g. "18 characters, 3 character classes, ~95 bits: strong". */
    public String describe() {
        return String.format("%d characters, %d character class%s, ~%d bits: %s",
                length, classes, classes == 1 ? "" : "es", Math.round(entropyBits), verdict);
    }

    /** Evaluates {@code pw} without copying it. */
    public static PasswordStrength of(char[] pw) {
        boolean lower = false;
        boolean upper = false;
        boolean digit = false;
        boolean symbol = false;
        boolean other = false;
        int effective = 0;
        for (int i = 0; i < pw.length; i++) {
            char c = pw[i];
            if (c >= 'a' && c <= 'z') {
                lower = true;
            } else if (c >= 'A' && c <= 'Z') {
                upper = true;
            } else if (c >= '0' && c <= '9') {
                digit = true;
            } else if (c >= 0x21 && c <= 0x7E || c == ' ') {
                symbol = true;
            } else {
                other = true;
            }
            // A character that repeats or continues a run of its predecessor adds little.
            boolean run = i > 0 && Math.abs(c - pw[i - 1]) <= 1;
            effective += run ? 0 : 1;
        }
        int pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (symbol ? 33 : 0) + (other ? 100 : 0);
        int classes = (lower ? 1 : 0) + (upper ? 1 : 0) + (digit ? 1 : 0) + (symbol ? 1 : 0) + (other ? 1 : 0);
        double bits = pool == 0 ? 0 : (effective + (pw.length - effective) * 0.25) * (Math.log(pool) / Math.log(2));
        String verdict;
        if (pw.length < MIN_LENGTH) {
            verdict = "too short (at least " + MIN_LENGTH + " characters)";
        } else if (bits < 50) {
            verdict = "weak";
        } else if (bits < 70) {
            verdict = "fair";
        } else if (bits < 90) {
            verdict = "good";
        } else {
            verdict = "strong";
        }
        return new PasswordStrength(pw.length, classes, bits, verdict);
    }
}
