package io.etlstream.emulator;

import java.nio.file.Path;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to start an emulator: port (0 = any free port), data directory (null = in-memory tables and a
 * temporary stage), account name and the users known at start.
 */
public record EmulatorConfig(int port, Path dataDir, String account, Map<String, PublicKey> users) {

  /** The account clients derive from {@code http://127.0.0.1:PORT}: the first label of the host. */
  public static final String DEFAULT_ACCOUNT = "127";

  public EmulatorConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + port);
    }
    account = account == null ? DEFAULT_ACCOUNT : account;
    users = Map.copyOf(users == null ? Map.of() : users);
  }

  /** In-memory emulator on a free port with no users yet. */
  public static EmulatorConfig inMemory() {
    return new EmulatorConfig(0, null, null, Map.of());
  }

  /** File-backed emulator: tables in {@code dir/emulator.duckdb}, stage under {@code dir/stage}. */
  public static EmulatorConfig persistent(int port, Path dir) {
    return new EmulatorConfig(port, dir, null, Map.of());
  }

  public EmulatorConfig withPort(int newPort) {
    return new EmulatorConfig(newPort, dataDir, account, users);
  }

  public EmulatorConfig withUser(String name, PublicKey key) {
    Map<String, PublicKey> copy = new LinkedHashMap<>(users);
    copy.put(name, key);
    return new EmulatorConfig(port, dataDir, account, copy);
  }
}
