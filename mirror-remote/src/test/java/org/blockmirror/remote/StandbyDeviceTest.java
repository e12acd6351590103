package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.blockmirror.block.BlockDeviceException;
import org.junit.jupiter.api.Test;

class StandbyDeviceTest {

    @Test
    void describesTheVolumeButServesNoData() {
        StandbyDevice standby = new StandbyDevice(4096, 1000);
        assertEquals(4096, standby.blockSize());
        assertEquals(1000, standby.blockCount());
        assertEquals(4096L * 1000, standby.capacityBytes());
        assertFalse(standby.isReady());

        List<CompletableFuture<?>> calls = List.of(standby.read(0, 1), standby.write(0, ByteBuffer.allocate(4096)),
                standby.flush(), standby.trim(0, 1));
        for (CompletableFuture<?> call : calls) {
            ExecutionException e = assertThrows(ExecutionException.class, call::get);
            BlockDeviceException cause = assertInstanceOf(BlockDeviceException.class, e.getCause());
            assertEquals(BlockDeviceException.Reason.NOT_READY, cause.reason());
            assertEquals("standby: this unit receives the mirror and is not the active primary", cause.getMessage());
        }
    }
}
