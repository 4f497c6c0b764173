package io.etlstream.emulator;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Fault injection for tests: the next N requests to an endpoint fail or stall in a chosen way. */
public final class Faults {

  /** The emulator's HTTP endpoints that faults can target. */
  public enum Endpoint {
    CLIENT_CONFIGURE("/v1/streaming/client/configure/"),
    OPEN_CHANNEL("/v1/streaming/channels/open/"),
    REGISTER_BLOBS("/v1/streaming/channels/write/blobs/"),
    CHANNEL_STATUS("/v1/streaming/channels/status/"),
    DROP_CHANNEL("/v1/streaming/channels/drop/"),
    TELEMETRY("/telemetry/send/sessionless"),
    SQL_STATEMENTS("/api/v2/statements");

    final String path;

    Endpoint(String path) {
      this.path = path;
    }

    /** The request path this endpoint answers. */
    public String path() {
      return path;
    }
  }

  /** One injected fault: an HTTP status, a streaming status_code, or a delay before normal handling. */
  public record Fault(Integer httpStatus, Long statusCode, Duration delay) {}

  private final Map<Endpoint, Deque<Fault>> pending = new EnumMap<>(Endpoint.class);
  private final Map<Endpoint, AtomicLong> served = new EnumMap<>(Endpoint.class);
  private final Map<Endpoint, AtomicLong> injected = new EnumMap<>(Endpoint.class);

  Faults() {
    for (Endpoint e : Endpoint.values()) {
      pending.put(e, new ArrayDeque<>());
      served.put(e, new AtomicLong());
      injected.put(e, new AtomicLong());
    }
  }

  /** The next {@code count} requests to {@code endpoint} answer with HTTP {@code status} (e.g. 503, 429). */
  public synchronized Faults httpStatus(Endpoint endpoint, int count, int status) {
    return add(endpoint, count, new Fault(status, null, null));
  }

  /**
   * The next {@code count} requests answer HTTP 200 with this streaming {@code status_code} (7, 10, 20 ...):
   * for write/blobs on every channel of the request, nothing is committed.
   */
  public synchronized Faults statusCode(Endpoint endpoint, int count, long statusCode) {
    return add(endpoint, count, new Fault(null, statusCode, null));
  }

  /** The next {@code count} requests are held for {@code delay} and then handled normally. */
  public synchronized Faults delay(Endpoint endpoint, int count, Duration delay) {
    return add(endpoint, count, new Fault(null, null, delay));
  }

  private Faults add(Endpoint endpoint, int count, Fault fault) {
    for (int i = 0; i < count; i++) {
      pending.get(endpoint).addLast(fault);
    }
    return this;
  }

  /** Drops every fault not yet fired. */
  public synchronized void clear() {
    pending.values().forEach(Deque::clear);
  }

  /** Faults still waiting for a request on {@code endpoint}. */
  public synchronized int pending(Endpoint endpoint) {
    return pending.get(endpoint).size();
  }

  /** Requests seen on {@code endpoint} (with or without a fault). */
  public long requests(Endpoint endpoint) {
    return served.get(endpoint).get();
  }

  /** Faults fired so far on {@code endpoint}. */
  public long fired(Endpoint endpoint) {
    return injected.get(endpoint).get();
  }

  synchronized Fault next(Endpoint endpoint) {
    served.get(endpoint).incrementAndGet();
    Fault f = pending.get(endpoint).pollFirst();
    if (f != null) {
      injected.get(endpoint).incrementAndGet();
    }
    return f;
  }
}
