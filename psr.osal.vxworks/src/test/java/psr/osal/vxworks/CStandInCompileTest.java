package psr.osal.vxworks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Compiles the JNI binding ({@code src/main/c/psr_vxkernel.c}) with the host's gcc against the stand-in VxWorks
 * headers in {@code src/test/c} and the JDK's {@code jni.h}, with every warning an error, and checks that it
 * defines exactly one JNI function for each native method of {@link JniVxKernel}. Not skipped when gcc is
 * missing: then it fails and says so. (On target the real SDK headers are used; see the module README.)
 */
class CStandInCompileTest {

    @Test
    void theJniBindingCompilesAndDefinesEveryNativeMethod() throws Exception {
        Path source = Path.of(System.getProperty("psr.vxworks.c.source", "src/main/c"));
        Path standIns = Path.of(System.getProperty("psr.vxworks.c.standins", "src/test/c"));
        Path output = Path.of(System.getProperty("psr.vxworks.c.output", "target/c"));
        Files.createDirectories(output);
        Path object = output.resolve("psr_vxkernel.o");
        Path javaHome = Path.of(System.getProperty("java.home"));
        List<String> command = List.of("gcc", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror",
                "-fPIC", "-I" + standIns, "-I" + javaHome.resolve("include"),
                "-I" + javaHome.resolve("include").resolve("linux"), "-c", source.resolve("psr_vxkernel.c").toString(),
                "-o", object.toString());
        String compiled = run(command);
        assertTrue(Files.isRegularFile(object), "gcc produced no object file:\n" + compiled);

        Set<String> defined = new TreeSet<>();
        for (String line : run(List.of("nm", "--defined-only", object.toString())).split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length == 3 && parts[1].equals("T") && parts[2].startsWith("Java_")) {
                defined.add(parts[2]);
            }
        }
        Set<String> expected = new TreeSet<>();
        for (Method method : JniVxKernel.class.getDeclaredMethods()) {
            if (Modifier.isNative(method.getModifiers())) {
                expected.add("Java_psr_osal_vxworks_JniVxKernel_" + method.getName());
            }
        }
        assertEquals(expected, defined, "JNI functions in psr_vxkernel.c against native methods of JniVxKernel");
        assertEquals(VxKernel.class.getDeclaredMethods().length - 2, expected.size(),
                "every kernel routine (all VxKernel methods but the two static tick helpers) is native");
    }

    @Test
    void theConstantsInTheCSourceMatchTheJavaInterface() throws IOException {
        String c = Files.readString(Path.of(System.getProperty("psr.vxworks.c.source", "src/main/c"))
                .resolve("psr_vxkernel.c"));
        assertDefine(c, "PSR_O_WRONLY", VxKernel.O_WRONLY);
        assertDefine(c, "PSR_O_RDWR", VxKernel.O_RDWR);
        assertDefine(c, "PSR_O_CREAT", VxKernel.O_CREAT);
        assertDefine(c, "PSR_O_TRUNC", VxKernel.O_TRUNC);
        assertDefine(c, "PSR_O_APPEND", VxKernel.O_APPEND);
        assertDefine(c, "PSR_IOCTL_FIOSYNC", VxKernel.IOCTL_FIOSYNC);
        assertDefine(c, "PSR_IOCTL_FIOFLUSH", VxKernel.IOCTL_FIOFLUSH);
        assertDefine(c, "PSR_IOCTL_FIOCOMMITFS", VxKernel.IOCTL_FIOCOMMITFS);
        assertDefine(c, "PSR_SEM_Q_PRIORITY", VxKernel.SEM_Q_PRIORITY);
        assertDefine(c, "PSR_SEM_DELETE_SAFE", VxKernel.SEM_DELETE_SAFE);
        assertDefine(c, "PSR_SEM_INVERSION_SAFE", VxKernel.SEM_INVERSION_SAFE);
        assertDefine(c, "PSR_WAIT_FOREVER", VxKernel.WAIT_FOREVER);
        assertDefine(c, "PSR_VOLUME_HRFS", VxKernel.VOLUME_HRFS);
        assertDefine(c, "PSR_VOLUME_DOSFS", VxKernel.VOLUME_DOSFS);
        assertDefine(c, "PSR_ENODEV", VxKernel.ENODEV);
    }

    private static void assertDefine(String c, String name, int value) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("#define " + name + " \\(?(-?(0x)?[0-9a-fA-F]+)\\)?")
                .matcher(c);
        assertTrue(matcher.find(), "no #define " + name);
        assertEquals(value, Integer.decode(matcher.group(1)), name);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.get(0) + " (is it installed? this test needs gcc and "
                    + "binutils on the build host): " + e.getMessage(), e);
        }
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), command.get(0) + " did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + text);
        return text;
    }
}
