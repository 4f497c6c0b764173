package io.etlstream.emulator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the emulator standalone: prints its URL and serves until stopped (Ctrl-C / SIGTERM). */
@Command(name = "emulator", mixinStandardHelpOptions = true,
    description = "Local Snowflake stand-in (Snowpipe Streaming + SQL API v2 on DuckDB) for tests and demos.")
public final class EmulatorMain implements Callable<Integer> {

  @Option(names = "--port", description = "TCP port on 127.0.0.1 (0 = any free port).", defaultValue = "0")
  int port;

  @Option(names = "--data", description = "Directory for the DuckDB file and the stage; omit for in-memory.")
  Path data;

  @Option(names = "--account", description = "Account name expected in JWTs (default: ${DEFAULT-VALUE}).",
      defaultValue = EmulatorConfig.DEFAULT_ACCOUNT)
  String account;

  @Option(names = "--user", description = "User to register (repeatable, paired with --public-key).")
  List<String> users = new ArrayList<>();

  @Option(names = "--public-key", description = "PEM or base64 DER RSA public key file of the --user at the same position.")
  List<Path> keys = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    SnowflakeEmulator emulator;
    try {
      emulator = open();
    } catch (CommandLine.ParameterException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    try (emulator) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        emulator.close();
        stopped.countDown();
      }, "sf-emulator-shutdown"));
      System.out.println(emulator.url());
      System.out.flush();
      stopped.await();
    }
    return 0;
  }

  /** Starts the emulator the options describe (without waiting); the caller owns and closes it. */
  SnowflakeEmulator open() {
    if (users.size() != keys.size()) {
      throw new CommandLine.ParameterException(new CommandLine(this), "Give one --public-key FILE for"
          + " every --user NAME (got " + users.size() + " users and " + keys.size() + " keys).");
    }
    EmulatorConfig config = new EmulatorConfig(port, data, account, java.util.Map.of());
    for (int i = 0; i < users.size(); i++) {
      PublicKey key;
      try {
        key = Users.parsePublicKey(Files.readString(keys.get(i)));
      } catch (Exception e) {
        throw new IllegalArgumentException("Cannot read the RSA public key in " + keys.get(i) + " ("
            + e.getMessage() + "). Give a PEM public key, e.g. from: openssl rsa -in key.p8 -pubout -out key.pub",
            e);
      }
      config = config.withUser(users.get(i), key);
    }
    return SnowflakeEmulator.start(config);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new EmulatorMain()).execute(args));
  }
}
