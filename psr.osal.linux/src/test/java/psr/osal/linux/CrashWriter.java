package psr.osal.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The child process of {@link CrashTest}: appends numbered 16-byte records to {@code log} in a
 * {@link DirectoryStorage}, syncs every few records and prints {@code synced N} after each sync returns (N
 * records are durable), and every 50 records replaces {@code meta} and prints {@code replaced N}. It runs until
 * it is killed. At start it checks what an earlier (killed) run left: a valid prefix of records, possibly
 * followed by a torn record, which it cuts off; it prints {@code start N}.
 */
public final class CrashWriter {

    static final int RECORD = 16;

    public static void main(String[] args) throws IOException {
        Path directory = Path.of(args[0]);
        int syncEvery = Integer.parseInt(args[1]);
        DirectoryStorage storage = new DirectoryStorage("crash", directory, new TestLogger().logger());
        long next = validPrefix(storage.read("log"));
        byte[] existing = storage.read("log");
        if (existing != null && existing.length != next * RECORD) {
            storage.truncate("log", next * RECORD);
        }
        System.out.println("start " + next);
        System.out.flush();
        byte[] record = new byte[RECORD];
        while (true) {
            ByteBuffer.wrap(record).putLong(next).putLong(check(next));
            storage.append("log", record, 0, RECORD);
            next++;
            if (next % syncEvery == 0) {
                storage.sync("log");
                System.out.println("synced " + next);
                System.out.flush();
            }
            if (next % 50 == 0) {
                storage.replace("meta", ByteBuffer.allocate(8).putLong(next).array());
                System.out.println("replaced " + next);
                System.out.flush();
            }
        }
    }

    static long check(long sequence) {
        return sequence * 0x9E3779B97F4A7C15L + 7;
    }

    /** How many records from the start are whole and numbered 0, 1, 2, ...; throws if a whole record is wrong. */
    static long validPrefix(byte[] content) {
        if (content == null) {
            return 0;
        }
        ByteBuffer buffer = ByteBuffer.wrap(content);
        long count = 0;
        while (buffer.remaining() >= RECORD) {
            long sequence = buffer.getLong();
            long check = buffer.getLong();
            if (sequence != count || check != check(count)) {
                // A whole record that is not the next one: only a torn last record may be zero-filled.
                if (sequence == 0 && check == 0 && buffer.remaining() < RECORD) {
                    return count;
                }
                throw new IllegalStateException("record " + count + " is corrupt: sequence " + sequence);
            }
            count++;
        }
        return count;
    }
}
