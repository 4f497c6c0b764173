package io.etlstream.app.main;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.UserFacingException;
import io.etlstream.app.main.PipelineListViewModel.State;
import io.etlstream.home.EtlHome;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineListViewModelTest {

    private final PipelineListViewModel viewModel = new PipelineListViewModel(new EtlHome(Path.of("/srv/etl")));
    private final PipelineRow orders = new PipelineRow("orders", "shop-db", "analytics", "RUNNING");

    @Test
    void startsLoadingUntilTheFirstSnapshot() {
        assertThat(viewModel.stateProperty().get()).isEqualTo(State.LOADING);
        assertThat(viewModel.statusProperty().get()).isEqualTo("Home /srv/etl");
    }

    @Test
    void anEmptyCatalogShowsTheEmptyStateWithTheCommandForThisHome() {
        viewModel.show(List.of());

        assertThat(viewModel.stateProperty().get()).isEqualTo(State.EMPTY);
        assertThat(viewModel.pipelines()).isEmpty();
        assertThat(viewModel.emptyTitle()).isEqualTo("No pipelines yet");
        assertThat(viewModel.emptyCommand()).isEqualTo("etl-stream --home /srv/etl pipeline create");
        assertThat(viewModel.statusProperty().get()).isEqualTo("No pipelines \u00b7 home /srv/etl");
    }

    @Test
    void pipelinesAreListedInCatalogOrder() {
        PipelineRow users = new PipelineRow("users", "crm", "analytics", "STOPPED");
        viewModel.show(List.of(orders, users));

        assertThat(viewModel.stateProperty().get()).isEqualTo(State.LIST);
        assertThat(viewModel.pipelines()).containsExactly(orders, users);
        assertThat(viewModel.statusProperty().get()).isEqualTo("2 pipelines \u00b7 home /srv/etl");
    }

    @Test
    void aFailedReadKeepsTheLastGoodListAndSaysWhy() {
        viewModel.show(List.of(orders));
        viewModel.showFailure(new UserFacingException("The catalog is locked; close the other console."));

        assertThat(viewModel.stateProperty().get()).isEqualTo(State.LIST);
        assertThat(viewModel.pipelines()).containsExactly(orders);
        assertThat(viewModel.problemProperty().get())
                .isEqualTo("Cannot read the catalog: The catalog is locked; close the other console.");
    }

    @Test
    void aFailedFirstReadShowsTheFailureAndTheNextGoodReadClearsIt() {
        viewModel.showFailure(new IllegalStateException("db closed"));
        assertThat(viewModel.stateProperty().get()).isEqualTo(State.FAILED);

        viewModel.show(List.of(orders));
        assertThat(viewModel.stateProperty().get()).isEqualTo(State.LIST);
        assertThat(viewModel.problemProperty().get()).isEmpty();
    }

    @Test
    void aHomeWithSpacesIsQuotedForTheShell() {
        PipelineListViewModel spaced = new PipelineListViewModel(new EtlHome(Path.of("/home/ann/my etl")));
        assertThat(spaced.emptyCommand()).isEqualTo("etl-stream --home '/home/ann/my etl' pipeline create");
    }

    @Test
    void anInstalledConsoleNamesTheInstalledCli() {
        System.setProperty("jpackage.app-path", "/opt/etl-stream/bin/etl-stream");
        try {
            assertThat(viewModel.emptyCommand()).isEqualTo("etl-stream-cli --home /srv/etl pipeline create");
        } finally {
            System.clearProperty("jpackage.app-path");
        }
    }
}
