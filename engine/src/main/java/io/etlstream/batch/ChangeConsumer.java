package io.etlstream.batch;

/**
 * Receives the assembler's events in commit order. {@link ChangeBatch}es passed here are owned by the consumer,
 * which must close them (that returns their memory to the bounded allocator and unblocks the reader).
 */
@FunctionalInterface
public interface ChangeConsumer {
    void accept(ChangeEvent event);
}
