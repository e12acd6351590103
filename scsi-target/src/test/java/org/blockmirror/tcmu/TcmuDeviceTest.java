package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.blockmirror.scsi.ScsiResponse;
import org.blockmirror.tcmu.SimulatedTcmuKernel.Completion;
import org.junit.jupiter.api.Test;

class TcmuDeviceTest {

    /** Reaps until n completions arrived (the device thread answers asynchronously). */
    private static List<Completion> reapAtLeast(SimulatedTcmuKernel kernel, int n) throws InterruptedException {
        List<Completion> all = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (all.size() < n) {
            synchronized (kernel) {
                all.addAll(kernel.reap());
            }
            if (System.nanoTime() > deadline) {
                fail("only " + all.size() + " of " + n + " completions arrived");
            }
            Thread.sleep(1);
        }
        return all;
    }

    @Test
    void servesCommandsTheKernelSignals() throws Exception {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(TcmuAbi.FLAG_CAP_OOOC, 4000, 16);
        SimulatedUioEvents events = new SimulatedUioEvents(kernel);
        RamDisk disk = new RamDisk(64);
        try (TcmuDevice device = TcmuDevice.start("dev", kernel.memory, events, events, disk, 50, 1000)) {
            byte[] block = new byte[512];
            block[0] = 42;
            synchronized (kernel) {
                kernel.submit(RamDisk.write10(5, 1), block, 0);
            }
            events.interrupt();
            assertEquals(ScsiResponse.GOOD, reapAtLeast(kernel, 1).get(0).status());
            assertEquals(42, disk.data[5 * 512]);

            int id;
            synchronized (kernel) {
                id = kernel.submit(RamDisk.read10(5, 1), null, 512);
            }
            events.interrupt();
            Completion read = reapAtLeast(kernel, 1).get(0);
            assertEquals(id, read.cmdId());
            assertEquals(42, read.dataIn()[0]);
            assertFalse(device.terminated().isDone());
        }
        assertEquals(1, events.closes.get());
    }

    @Test
    void closeDrainsInFlightCommandsThenUnmapsOnce() throws Exception {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(TcmuAbi.FLAG_CAP_OOOC, 4000, 16);
        SimulatedUioEvents events = new SimulatedUioEvents(kernel);
        GatedHandler gate = new GatedHandler(new RamDisk(16));
        TcmuDevice device = TcmuDevice.start("dev", kernel.memory, events, events, gate, 20, 5000);
        synchronized (kernel) {
            kernel.submit(RamDisk.read10(0, 1), null, 512);
        }
        events.interrupt();
        while (gate.heldCount() == 0) {
            Thread.sleep(1);
        }
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            gate.release(0);
        });
        releaser.start();
        device.close();
        releaser.join();
        assertEquals(1, kernel.reap().size(), "the in-flight answer reached the ring before unmap");
        device.close();
        assertEquals(1, events.closes.get());
        assertNull(device.terminated().get(1, TimeUnit.SECONDS));
    }

    @Test
    void aCommandStillInFlightAfterTheDrainKeepsTheMapping() throws Exception {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(TcmuAbi.FLAG_CAP_OOOC, 4000, 16);
        SimulatedUioEvents events = new SimulatedUioEvents(kernel);
        GatedHandler gate = new GatedHandler(new RamDisk(16));
        TcmuDevice device = TcmuDevice.start("dev", kernel.memory, events, events, gate, 20, 50);
        synchronized (kernel) {
            kernel.submit(RamDisk.write10(0, 1), new byte[512], 0); // its data-out is a view of the mapping
        }
        events.interrupt();
        while (gate.heldCount() == 0) {
            Thread.sleep(1);
        }
        device.close();
        assertEquals(0, events.closes.get(), "unmapped under a handler that may still read its data-out");
        gate.release(0); // the late answer is dropped, and nothing touched unmapped memory
        assertEquals(0, kernel.reap().size());
    }

    @Test
    void aMalformedRingStopsTheDeviceWithTheReason() throws Exception {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(TcmuAbi.FLAG_CAP_OOOC, 4000, 16);
        SimulatedUioEvents events = new SimulatedUioEvents(kernel);
        TcmuDevice device = TcmuDevice.start("dev", kernel.memory, events, events, new RamDisk(16), 20, 100);
        kernel.submitRaw(TcmuAbi.OP_CMD, 128);
        events.interrupt();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> device.terminated().get(5, TimeUnit.SECONDS));
        assertInstanceOf(TcmuRingException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("dev: malformed TCMU ring: entry at ring offset 0"),
                e.getCause().getMessage());
        assertEquals(0, kernel.tail());
        device.close();
        assertEquals(1, events.closes.get());
    }

    @Test
    void aBadMailboxFailsStartAndReleasesTheMapping() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(0, 4000, 16);
        kernel.memory.putU16(TcmuAbi.MB_VERSION, 3);
        SimulatedUioEvents events = new SimulatedUioEvents(kernel);
        TcmuRingException e = assertThrows(TcmuRingException.class,
                () -> TcmuDevice.start("dev", kernel.memory, events, events, new RamDisk(1), 20, 100));
        assertTrue(e.getMessage().contains("version 3, expected 2"));
        assertEquals(1, events.closes.get());
    }
}
