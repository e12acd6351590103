package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TcmuAbi against the C compiler's view of the kernel's uapi header: every offset we use is
 * printed by a small C program built against {@code <linux/target_core_user.h>}. Skipped where
 * gcc or the header (package linux-libc-dev) is missing.
 */
class TcmuAbiTest {
    private static final Path HEADER = Path.of("/usr/include/linux/target_core_user.h");

    @TempDir
    Path dir;

    @Test
    void offsetsMatchTheKernelHeader() throws Exception {
        assumeTrue(Files.isRegularFile(HEADER), "no " + HEADER);
        Path source = dir.resolve("abi.c");
        Files.writeString(source, String.join("\n",
                "#include <stdio.h>",
                "#include <stddef.h>",
                "#include <linux/target_core_user.h>",
                "#define P(name, value) printf(\"%s %zu\\n\", name, (size_t) (value))",
                "int main(void) {",
                "  P(\"MB_VERSION\", offsetof(struct tcmu_mailbox, version));",
                "  P(\"MB_FLAGS\", offsetof(struct tcmu_mailbox, flags));",
                "  P(\"MB_CMDR_OFF\", offsetof(struct tcmu_mailbox, cmdr_off));",
                "  P(\"MB_CMDR_SIZE\", offsetof(struct tcmu_mailbox, cmdr_size));",
                "  P(\"MB_CMD_HEAD\", offsetof(struct tcmu_mailbox, cmd_head));",
                "  P(\"MB_CMD_TAIL\", offsetof(struct tcmu_mailbox, cmd_tail));",
                "  P(\"MAILBOX_SIZE\", sizeof(struct tcmu_mailbox));",
                "  P(\"HDR_CMD_ID\", offsetof(struct tcmu_cmd_entry_hdr, cmd_id));",
                "  P(\"HDR_KFLAGS\", offsetof(struct tcmu_cmd_entry_hdr, kflags));",
                "  P(\"HDR_UFLAGS\", offsetof(struct tcmu_cmd_entry_hdr, uflags));",
                "  P(\"HDR_SIZE\", sizeof(struct tcmu_cmd_entry_hdr));",
                "  P(\"REQ_IOV_CNT\", offsetof(struct tcmu_cmd_entry, req.iov_cnt));",
                "  P(\"REQ_IOV_BIDI_CNT\", offsetof(struct tcmu_cmd_entry, req.iov_bidi_cnt));",
                "  P(\"REQ_IOV_DIF_CNT\", offsetof(struct tcmu_cmd_entry, req.iov_dif_cnt));",
                "  P(\"REQ_CDB_OFF\", offsetof(struct tcmu_cmd_entry, req.cdb_off));",
                "  P(\"REQ_IOV\", offsetof(struct tcmu_cmd_entry, req.iov));",
                "  P(\"IOVEC_SIZE\", sizeof(struct iovec));",
                "  P(\"RSP_SCSI_STATUS\", offsetof(struct tcmu_cmd_entry, rsp.scsi_status));",
                "  P(\"RSP_READ_LEN\", offsetof(struct tcmu_cmd_entry, rsp.read_len));",
                "  P(\"RSP_SENSE_BUFFER\", offsetof(struct tcmu_cmd_entry, rsp.sense_buffer));",
                "  P(\"SENSE_BUFFER_SIZE\", TCMU_SENSE_BUFFERSIZE);",
                "  P(\"CMD_ENTRY_SIZE\", sizeof(struct tcmu_cmd_entry));",
                "  P(\"TMR_TYPE\", offsetof(struct tcmu_tmr_entry, tmr_type));",
                "  P(\"TMR_CMD_CNT\", offsetof(struct tcmu_tmr_entry, cmd_cnt));",
                "  P(\"TMR_CMD_IDS\", offsetof(struct tcmu_tmr_entry, cmd_ids));",
                "  P(\"MAILBOX_VERSION\", TCMU_MAILBOX_VERSION);",
                "  P(\"FLAG_CAP_OOOC\", TCMU_MAILBOX_FLAG_CAP_OOOC);",
                "  P(\"FLAG_CAP_READ_LEN\", TCMU_MAILBOX_FLAG_CAP_READ_LEN);",
                "  P(\"UFLAG_UNKNOWN_OP\", TCMU_UFLAG_UNKNOWN_OP);",
                "  P(\"UFLAG_READ_LEN\", TCMU_UFLAG_READ_LEN);",
                "  P(\"OP_TMR\", TCMU_OP_TMR);",
                "  return 0;",
                "}", ""));
        Path binary = dir.resolve("abi");
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-o", binary.toString(), source.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no C compiler: " + e.getMessage());
            return;
        }
        String ccOutput = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS));
        assumeTrue(cc.exitValue() == 0, "header too old for TMR/READ_LEN fields: " + ccOutput);
        Process run = new ProcessBuilder(binary.toString()).start();
        Map<String, Long> c = new HashMap<>();
        for (String line : new String(run.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
            String[] parts = line.split(" ");
            c.put(parts[0], Long.parseLong(parts[1]));
        }
        assertEquals(0, run.waitFor());

        assertEquals(c.get("MB_VERSION"), (long) TcmuAbi.MB_VERSION);
        assertEquals(c.get("MB_FLAGS"), (long) TcmuAbi.MB_FLAGS);
        assertEquals(c.get("MB_CMDR_OFF"), (long) TcmuAbi.MB_CMDR_OFF);
        assertEquals(c.get("MB_CMDR_SIZE"), (long) TcmuAbi.MB_CMDR_SIZE);
        assertEquals(c.get("MB_CMD_HEAD"), (long) TcmuAbi.MB_CMD_HEAD);
        assertEquals(c.get("MB_CMD_TAIL"), (long) TcmuAbi.MB_CMD_TAIL);
        assertEquals(c.get("MAILBOX_SIZE"), (long) TcmuAbi.MAILBOX_SIZE);
        assertEquals(c.get("HDR_CMD_ID"), (long) TcmuAbi.HDR_CMD_ID);
        assertEquals(c.get("HDR_KFLAGS"), (long) TcmuAbi.HDR_KFLAGS);
        assertEquals(c.get("HDR_UFLAGS"), (long) TcmuAbi.HDR_UFLAGS);
        assertEquals(c.get("HDR_SIZE"), (long) TcmuAbi.HDR_SIZE);
        assertEquals(c.get("REQ_IOV_CNT"), (long) TcmuAbi.REQ_IOV_CNT);
        assertEquals(c.get("REQ_IOV_BIDI_CNT"), (long) TcmuAbi.REQ_IOV_BIDI_CNT);
        assertEquals(c.get("REQ_IOV_DIF_CNT"), (long) TcmuAbi.REQ_IOV_DIF_CNT);
        assertEquals(c.get("REQ_CDB_OFF"), (long) TcmuAbi.REQ_CDB_OFF);
        assertEquals(c.get("REQ_IOV"), (long) TcmuAbi.REQ_IOV);
        assertEquals(c.get("IOVEC_SIZE"), (long) TcmuAbi.IOVEC_SIZE);
        assertEquals(c.get("RSP_SCSI_STATUS"), (long) TcmuAbi.RSP_SCSI_STATUS);
        assertEquals(c.get("RSP_READ_LEN"), (long) TcmuAbi.RSP_READ_LEN);
        assertEquals(c.get("RSP_SENSE_BUFFER"), (long) TcmuAbi.RSP_SENSE_BUFFER);
        assertEquals(c.get("SENSE_BUFFER_SIZE"), (long) TcmuAbi.SENSE_BUFFER_SIZE);
        assertEquals(c.get("CMD_ENTRY_SIZE"), (long) TcmuAbi.CMD_ENTRY_SIZE);
        assertEquals(c.get("TMR_TYPE"), (long) TcmuAbi.TMR_TYPE);
        assertEquals(c.get("TMR_CMD_CNT"), (long) TcmuAbi.TMR_CMD_CNT);
        assertEquals(c.get("TMR_CMD_IDS"), (long) TcmuAbi.TMR_CMD_IDS);
        assertEquals(c.get("MAILBOX_VERSION"), (long) TcmuAbi.MAILBOX_VERSION);
        assertEquals(c.get("FLAG_CAP_OOOC"), (long) TcmuAbi.FLAG_CAP_OOOC);
        assertEquals(c.get("FLAG_CAP_READ_LEN"), (long) TcmuAbi.FLAG_CAP_READ_LEN);
        assertEquals(c.get("UFLAG_UNKNOWN_OP"), (long) TcmuAbi.UFLAG_UNKNOWN_OP);
        assertEquals(c.get("UFLAG_READ_LEN"), (long) TcmuAbi.UFLAG_READ_LEN);
        assertEquals(c.get("OP_TMR"), (long) TcmuAbi.OP_TMR);
    }
}
