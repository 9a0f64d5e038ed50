package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import psr.api.osal.DurableStorageProvider;

/** A storage directory belongs to one part of one node of one cluster, and says so in its owner file. */
class StorageOwnerTest {
    private final MemoryStorageProvider provider = new MemoryStorageProvider();

    private String owner(DurableStorageProvider.OpenStorage s) throws IOException {
        return new String(s.read(StorageOwner.FILE), StandardCharsets.UTF_8);
    }

    @Test
    void theFirstReplicaClaimsTheDirectoryWithItsCluster() throws Exception {
        try (DurableStorageProvider.OpenStorage s = provider.open("/d/boiler")) {
            StorageOwner.claim(s, "/d/boiler", "boiler", 1, "7");
            assertEquals("part=boiler\nnode=1\ncluster=7\n", owner(s));
            StorageOwner.claim(s, "/d/boiler", "boiler", 1, "7"); // its own again
        }
    }

    @Test
    void aPartOfAnotherClusterIsRefusedAndNothingChanges() throws Exception {
        try (DurableStorageProvider.OpenStorage s = provider.open("/d/boiler")) {
            StorageOwner.claim(s, "/d/boiler", "boiler", 1, "7");
            IOException e = assertThrows(IOException.class, () -> StorageOwner.claim(s, "/d/boiler", "boiler", 1, "8"));
            assertEquals("storage directory /d/boiler belongs to part boiler on node 1 of cluster 7, not of cluster 8 (the transport's"
                    + " cluster.id): a controller moved to another cluster needs new storage directories, or the old cluster.id"
                    + " (nothing was changed)", e.getMessage());
            assertEquals("part=boiler\nnode=1\ncluster=7\n", owner(s));
        }
    }

    @Test
    void anOwnerFileFromBeforeClustersGetsTheClusterOfItsReplica() throws Exception {
        try (DurableStorageProvider.OpenStorage s = provider.open("/d/boiler")) {
            s.replace(StorageOwner.FILE, "part=boiler\nnode=1\n".getBytes(StandardCharsets.UTF_8));
            StorageOwner.claim(s, "/d/boiler", "boiler", 1, "7");
            assertEquals("part=boiler\nnode=1\ncluster=7\n", owner(s));
            // A transport that names no cluster checks nothing about it.
            StorageOwner.claim(s, "/d/boiler", "boiler", 1, null);
            assertEquals("part=boiler\nnode=1\ncluster=7\n", owner(s));
        }
    }
}
