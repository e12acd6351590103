package org.blockmirror.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/** This unit's UUID: configured, or generated on first start and kept in the state directory. */
public final class UnitIdentity {
    private UnitIdentity() {
    }

    public static UUID loadOrCreate(Path stateDir, UUID configured, Supplier<UUID> generator) throws IOException {
        try (DurableStateFile f = DurableStateFile.open(stateDir.resolve("unit-id"))) {
            Optional<byte[]> stored = f.read();
            if (configured != null) {
                return configured;
            }
            if (stored.isPresent() && stored.get().length == 16) {
                ByteBuffer b = ByteBuffer.wrap(stored.get());
                return new UUID(b.getLong(), b.getLong());
            }
            UUID id = generator.get();
            f.write(ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
                    .putLong(id.getLeastSignificantBits()).array());
            return id;
        }
    }
}
