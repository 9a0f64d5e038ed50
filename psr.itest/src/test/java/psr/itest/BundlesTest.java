package psr.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.junit5.context.BundleContextExtension;

/** The PSR bundles resolve and start in a real framework that runs what a controller runs. */
@ExtendWith(BundleContextExtension.class)
class BundlesTest {

    @InjectBundleContext
    BundleContext context;

    @Test
    void psrBundlesAreActive() {
        Map<String, Bundle> bySymbolicName = Arrays.stream(context.getBundles())
                .collect(Collectors.toMap(Bundle::getSymbolicName, Function.identity(), (a, b) -> a));
        for (String name : new String[] {"psr.api", "psr.consensus", "psr.osal.linux"}) {
            assertThat(bySymbolicName).as("installed bundles").containsKey(name);
            assertThat(bySymbolicName.get(name).getState()).as("state of %s", name).isEqualTo(Bundle.ACTIVE);
        }
    }

    /**
     * This framework runs what a controller runs on Linux: every bundle of {@code cnf/controller.bndrun} is here and
     * active, but the VxWorks backend, which {@code itest.bndrun} leaves out (this host is Linux).
     */
    @Test
    void everyBundleOfTheControllerDefinitionIsHereAndActive() {
        String file = context.getProperty(ControllerDefinition.PATH_PROPERTY);
        assertThat(file).as("framework property %s", ControllerDefinition.PATH_PROPERTY).isNotNull();
        List<String> controller = ControllerDefinition.runBundles(file);
        assertThat(controller).as("bundles of %s", file).contains("psr.osal.linux", "psr.osal.vxworks");
        Map<String, Bundle> bySymbolicName = Arrays.stream(context.getBundles())
                .collect(Collectors.toMap(Bundle::getSymbolicName, Function.identity(), (a, b) -> a));
        assertThat(bySymbolicName).as("bundles in this framework").doesNotContainKey("psr.osal.vxworks");
        for (String name : controller) {
            if (name.equals("psr.osal.vxworks")) {
                continue;
            }
            assertThat(bySymbolicName).as("bundles in this framework (%s lists %s)", file, name).containsKey(name);
            assertThat(bySymbolicName.get(name).getState()).as("state of %s", name).isEqualTo(Bundle.ACTIVE);
        }
    }

    @Test
    void everyBundleInTheFrameworkIsActive() {
        for (Bundle bundle : context.getBundles()) {
            boolean fragment = (bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            assertThat(bundle.getState()).as("state of %s", bundle.getSymbolicName()).isEqualTo(expected);
        }
    }

    @Test
    void apiExportsVersionedPackagesAndImplementationStaysPrivate() {
        Bundle api = bundle("psr.api");
        assertThat(api.getHeaders().get("Export-Package")).contains("psr.api.osal;version=\"1.1.0\"");
        Bundle linux = bundle("psr.osal.linux");
        assertThat(linux.getHeaders().get("Export-Package")).isNull();
        assertThat(linux.getHeaders().get("Import-Package")).contains("psr.api.osal;version=\"[1.1,1.2)\"");
    }

    private Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
    }
}
