package psr.itest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;
import org.osgi.util.tracker.ServiceTracker;

import psr.api.osal.DurableStorage;

/**
 * The Linux storage component is driven by factory configurations: none, one, an update, a bad one.
 * Every wait is bounded; every configuration a test makes is deleted after it.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class StorageComponentTest {

    static final String PID = "psr.osal.linux.storage";
    static final String COMPONENT = "psr.osal.linux.storage";
    static final long WAIT_MILLIS = 10_000;

    @InjectBundleContext
    BundleContext context;

    @InjectService
    ConfigurationAdmin configurationAdmin;

    @InjectService
    ServiceComponentRuntime scr;

    @InjectService
    MetaTypeService metaType;

    @TempDir
    Path temp;

    private final List<Configuration> created = new ArrayList<>();

    @AfterEach
    void deleteConfigurations() throws Exception {
        for (Configuration configuration : created) {
            configuration.delete();
        }
        // Leave no storage service and no component configuration behind for the next test (one that failed to
        // activate has no service, and DS drops it a moment after its configuration is deleted).
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (context.getServiceReferences(DurableStorage.class, null).size() > 0
                || !scr.getComponentConfigurationDTOs(description()).isEmpty()) {
            assertThat(System.currentTimeMillis()).as("storage services and component configurations gone after delete")
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void withoutConfigurationTheComponentIsEnabledButHasNoInstance() throws Exception {
        ComponentDescriptionDTO description = description();
        assertThat(scr.isComponentEnabled(description)).isTrue();
        assertThat(description.configurationPolicy).isEqualTo("require");
        assertThat(scr.getComponentConfigurationDTOs(description)).isEmpty();
        assertThat(context.getServiceReferences(DurableStorage.class, null)).isEmpty();
    }

    @Test
    void aFactoryConfigurationCreatesAStorageThatKeepsData() throws Exception {
        Path dir = temp.resolve("a");
        configure("itest-a", dir.toString());

        DurableStorage storage = waitForStorage("(psr.storage=itest-a)");
        storage.append("log.0", "hello ".getBytes(UTF_8), 0, 6);
        storage.append("log.0", "controller".getBytes(UTF_8), 0, 10);
        storage.sync("log.0");
        storage.replace("view", new byte[] {3});

        assertThat(new String(storage.read("log.0"), UTF_8)).isEqualTo("hello controller");
        assertThat(storage.list()).containsExactly("log.0", "view");
        assertThat(Files.readString(dir.resolve("log.0"))).isEqualTo("hello controller");
        assertThat(Files.readAllBytes(dir.resolve("view"))).containsExactly(3);
        // The component registers its storage service inside activate(), so the service can be there while SCR still
        // says SATISFIED (failed so in a fresh-clone CI run): wait for ACTIVE, then there is exactly one configuration.
        waitForConfigurationState(ComponentConfigurationDTO.ACTIVE);
        assertThat(componentStates()).containsExactly(ComponentConfigurationDTO.ACTIVE);
    }

    @Test
    void anUpdatedConfigurationReRegistersTheStorageOnTheNewDirectory() throws Exception {
        Path first = temp.resolve("first");
        Path second = temp.resolve("second");
        Configuration configuration = configure("itest-b", first.toString());
        DurableStorage before = waitForStorage("(&(psr.storage=itest-b)(directory=" + first + "))");
        before.replace("view", new byte[] {1});

        configuration.update(properties("itest-b", second.toString()));
        // DS deactivates the old instance and registers a new one; wait for the new registration.
        DurableStorage after = waitForStorage("(&(psr.storage=itest-b)(directory=" + second + "))");
        assertThat(after).isNotSameAs(before);
        assertThat(after.read("view")).as("the new directory starts empty").isNull();
        after.replace("view", new byte[] {2});
        assertThat(Files.readAllBytes(second.resolve("view"))).containsExactly(2);
        assertThat(Files.readAllBytes(first.resolve("view"))).containsExactly(1);
        assertThat(context.getServiceReferences(DurableStorage.class, "(psr.storage=itest-b)")).hasSize(1);
    }

    @Test
    void twoConfigurationsGiveTwoStoragesSelectedByName() throws Exception {
        configure("itest-one", temp.resolve("one").toString());
        configure("itest-two", temp.resolve("two").toString());
        DurableStorage one = waitForStorage("(psr.storage=itest-one)");
        DurableStorage two = waitForStorage("(psr.storage=itest-two)");
        one.replace("x", new byte[] {1});
        assertThat(two.read("x")).isNull();
    }

    @Test
    void aRelativeDirectoryLeavesTheComponentFailedWithTheReasonAndNoService() throws Exception {
        configure("itest-bad", "relative/dir");
        ComponentConfigurationDTO failed = waitForConfigurationState(ComponentConfigurationDTO.FAILED_ACTIVATION);
        assertThat(failed.failure).contains("property directory = 'relative/dir' is not allowed: it is relative");
        assertThat(context.getServiceReferences(DurableStorage.class, "(psr.storage=itest-bad)")).isEmpty();
    }

    @Test
    void metatypeDescribesTheFactoryConfiguration() {
        Bundle linux = Arrays.stream(context.getBundles())
                .filter(b -> "psr.osal.linux".equals(b.getSymbolicName())).findFirst().orElseThrow();
        MetaTypeInformation information = metaType.getMetaTypeInformation(linux);
        assertThat(information.getFactoryPids()).contains(PID);
        ObjectClassDefinition ocd = information.getObjectClassDefinition(PID, null);
        AttributeDefinition[] attributes = ocd.getAttributeDefinitions(ObjectClassDefinition.REQUIRED);
        assertThat(Arrays.stream(attributes).map(AttributeDefinition::getID)).containsExactlyInAnyOrder(
                "psr.storage", "directory");
        for (AttributeDefinition attribute : attributes) {
            assertThat(attribute.getDescription()).as("description of %s", attribute.getID()).isNotBlank();
        }
    }

    private Configuration configure(String name, String directory) throws IOException {
        Configuration configuration = configurationAdmin.getFactoryConfiguration(PID, name, "?");
        created.add(configuration);
        configuration.update(properties(name, directory));
        return configuration;
    }

    private static Dictionary<String, Object> properties(String name, String directory) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("psr.storage", name);
        properties.put("directory", directory);
        return properties;
    }

    private DurableStorage waitForStorage(String filter) throws InvalidSyntaxException, InterruptedException {
        String full = "(&(objectClass=" + DurableStorage.class.getName() + ")" + filter + ")";
        ServiceTracker<DurableStorage, DurableStorage> tracker = new ServiceTracker<>(context,
                FrameworkUtil.createFilter(full), null);
        tracker.open();
        try {
            DurableStorage storage = tracker.waitForService(WAIT_MILLIS);
            assertThat(storage).as("a storage service matching %s within %d ms", filter, WAIT_MILLIS).isNotNull();
            return storage;
        } finally {
            tracker.close();
        }
    }

    private ComponentConfigurationDTO waitForConfigurationState(int state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (true) {
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description())) {
                if (configuration.state == state) {
                    return configuration;
                }
            }
            assertThat(System.nanoTime()).as("a component configuration in state %d within %d ms", state,
                    WAIT_MILLIS).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private List<Integer> componentStates() {
        return scr.getComponentConfigurationDTOs(description()).stream().map(c -> c.state).toList();
    }

    private ComponentDescriptionDTO description() {
        return scr.getComponentDescriptionDTOs().stream().filter(d -> COMPONENT.equals(d.name)).findFirst()
                .orElseThrow(() -> new AssertionError("no component " + COMPONENT));
    }
}
