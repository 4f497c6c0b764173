package io.etlstream.catalog;

/** Argument checks shared by the catalog records. */
final class Names {
    private Names() {
    }

    static void requireName(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(what + " name must not be blank");
        }
        if (name.length() > 128) {
            throw new IllegalArgumentException(what + " name is longer than 128 characters: " + name);
        }
        if (!name.equals(name.strip())) {
            throw new IllegalArgumentException(what + " name must not start or end with spaces: '" + name + "'");
        }
    }

    static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
    }
}
