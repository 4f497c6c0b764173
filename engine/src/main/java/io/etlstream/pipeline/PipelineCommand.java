package io.etlstream.pipeline;

/** What the console, the CLI and the engine itself can ask of one pipeline; each goes through its mailbox. */
public sealed interface PipelineCommand {

    /** Start (or restart after stop/failure); marks the pipeline to run with the engine. */
    record Start() implements PipelineCommand {
        @Override
        public String verb() {
            return "start";
        }
    }

    /** Flush, confirm, close; unmarks the pipeline from running with the engine. */
    record Stop() implements PipelineCommand {
        @Override
        public String verb() {
            return "stop";
        }
    }

    /** Like stop, but the pipeline stays marked to run and keeps its place; resume continues it. */
    record Pause(String reason) implements PipelineCommand {
        @Override
        public String verb() {
            return "pause";
        }
    }

    record Resume() implements PipelineCommand {
        @Override
        public String verb() {
            return "resume";
        }
    }

    /** Copy the table again from scratch, then follow the stream. */
    record ResyncTable(TableRef table) implements PipelineCommand {
        @Override
        public String verb() {
            return "resync";
        }
    }

    /**
     * Copy every table again from scratch on a new replication slot (drops the old one): the way back from an
     * invalidated slot. Restarts a running pipeline; a stopped one does it at its next start.
     */
    record ResyncPipeline() implements PipelineCommand {
        @Override
        public String verb() {
            return "resync";
        }
    }

    record AddTable(TableRef table) implements PipelineCommand {
        @Override
        public String verb() {
            return "add-table";
        }
    }

    record RemoveTable(TableRef table) implements PipelineCommand {
        @Override
        public String verb() {
            return "remove-table";
        }
    }

    record UpdateSettings(PipelineSettings settings) implements PipelineCommand {
        @Override
        public String verb() {
            return "update-settings";
        }
    }

    /** Stop and forget the pipeline. Its replication slot is left alone: dropping one is a separate, explicit act. */
    record Delete() implements PipelineCommand {
        @Override
        public String verb() {
            return "delete";
        }
    }

    /** Engine shutdown: stop like {@link Stop} but keep the pipeline marked to run next time. */
    record Shutdown() implements PipelineCommand {
        @Override
        public String verb() {
            return "shutdown";
        }
    }

    /** The verb users type for this command. */
    String verb();
}
