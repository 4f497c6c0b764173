package io.etlstream.vault;

import java.nio.file.Path;

/** Child JVM for {@link ChangePasswordKillTest}: changes the password and gets SIGKILLed somewhere in between. */
public final class ChangePasswordCrashChild {
    private ChangePasswordCrashChild() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        boolean pauseBeforeMove = args[1].equals("pause-before-move");
        try (Vault v = Vault.open(file)) {
            if (pauseBeforeMove) {
                v.beforeReplace = () -> {
                    System.out.println("TEMP-WRITTEN");
                    System.out.flush();
                    try {
                        Thread.sleep(120_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
            }
            System.out.println("START");
            System.out.flush();
            boolean back = args.length > 2 && args[2].equals("new-to-old");
            if (back) {
                v.changePassword(ChangePasswordKillTest.NEW, ChangePasswordKillTest.OLD);
            } else {
                v.changePassword(ChangePasswordKillTest.OLD, ChangePasswordKillTest.NEW);
            }
            System.out.println("DONE");
            System.out.flush();
        }
    }
}
