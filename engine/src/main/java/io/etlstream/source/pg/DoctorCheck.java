package io.etlstream.source.pg;

/**
 * One finding of the {@link Doctor}: what was checked, the verdict, what was seen and, unless ok, the exact SQL or
 * postgresql.conf line that fixes it.
 */
public record DoctorCheck(String name, Status status, String detail, String fix) {

    /** Verdict of one check. */
    public enum Status { OK, WARNING, ERROR }

    public static DoctorCheck ok(String name, String detail) {
        return new DoctorCheck(name, Status.OK, detail, null);
    }

    public static DoctorCheck warning(String name, String detail, String fix) {
        return new DoctorCheck(name, Status.WARNING, detail, fix);
    }

    public static DoctorCheck error(String name, String detail, String fix) {
        return new DoctorCheck(name, Status.ERROR, detail, fix);
    }
}
