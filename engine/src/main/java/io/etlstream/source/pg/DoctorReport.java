package io.etlstream.source.pg;

import java.util.List;

/** Everything the {@link Doctor} found about one source, in the order it checked. */
public record DoctorReport(String source, List<DoctorCheck> checks) {

    public DoctorReport {
        checks = List.copyOf(checks);
    }

    public boolean hasErrors() {
        return checks.stream().anyMatch(c -> c.status() == DoctorCheck.Status.ERROR);
    }

    public long count(DoctorCheck.Status status) {
        return checks.stream().filter(c -> c.status() == status).count();
    }

    /** The first check with this name, or null. */
    public DoctorCheck find(String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    /** Human-readable text, one check per line and its fix indented below. */
    public String render() {
        StringBuilder sb = new StringBuilder("doctor: ").append(source).append('\n');
        for (DoctorCheck c : checks) {
            String tag = switch (c.status()) {
                case OK -> "ok     ";
                case WARNING -> "warning";
                case ERROR -> "ERROR  ";
            };
            sb.append("  ").append(tag).append("  ").append(c.name()).append(": ").append(c.detail()).append('\n');
            if (c.fix() != null) {
                for (String line : c.fix().split("\n")) {
                    sb.append("             fix: ").append(line).append('\n');
                }
            }
        }
        sb.append(count(DoctorCheck.Status.ERROR)).append(" error(s), ").append(count(DoctorCheck.Status.WARNING))
                .append(" warning(s)\n");
        return sb.toString();
    }
}
