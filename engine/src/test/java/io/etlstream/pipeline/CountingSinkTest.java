package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.source.pg.ChangeSink;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The counting wrapper must pass on every sink hook: a default left in place would silently switch a hook off. */
class CountingSinkTest {

    @Test
    void overridesEveryMethodOfTheSinkInterface() throws Exception {
        List<String> missing = new ArrayList<>();
        for (Method m : ChangeSink.class.getMethods()) {
            if (m.getDeclaringClass() != ChangeSink.class || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            Method impl = CountingSink.class.getMethod(m.getName(), m.getParameterTypes());
            if (impl.getDeclaringClass() != CountingSink.class) {
                missing.add(m.getName());
            }
        }
        assertThat(missing).as("ChangeSink methods CountingSink does not forward").isEmpty();
    }
}
