package org.blockmirror.scsi;

import static org.blockmirror.scsi.CommandSet.*;

import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.SubmissionBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated SCSI disk (SBC-3 direct-access block device) in front of a {@link BlockDevice}.
 *
 * <p>Every command goes through the same steps: look up the opcode (unknown → INVALID COMMAND
 * OPERATION CODE), check the CDB length, refuse data commands with NOT READY while the device is
 * not ready (identity, capacity and mode queries still answer: the hot-standby disk, F10), reject
 * protection information and reserved bits against the command's usage mask, then run the
 * command family's code. Failures are always SCSI status + sense; the returned future never
 * completes exceptionally. Many commands may be in flight at once; COMPARE AND WRITE is atomic
 * with respect to every other command through this instance (see {@link BlockRangeLock}).
 */
public final class ScsiDisk implements ScsiCommandHandler {

    private static final Logger log = LoggerFactory.getLogger(ScsiDisk.class);

    private final BlockDevice device;
    private final DiskIdentity identity;
    private final DiskLimits limits;
    private final InquiryCommand inquiry;
    private final CapacityCommands capacity;
    private final ModePages modePages;
    private final ReadWriteCommands readWrite;
    private final ProvisioningCommands provisioning;
    private final CompareAndWriteCommand compareAndWrite;
    private final ReportCommands reports = new ReportCommands();
    private final BlockRangeLock rangeLock = new BlockRangeLock();

    public ScsiDisk(BlockDevice device, DiskIdentity identity, DiskLimits limits) {
        if ((long) limits.maxTransferBlocks() * device.blockSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxTransferBlocks " + limits.maxTransferBlocks() + " x block size "
                    + device.blockSize() + " exceeds 2 GiB, the largest buffer a single transfer can use");
        }
        this.device = device;
        this.identity = identity;
        this.limits = limits;
        DeviceIo io = new DeviceIo(device);
        this.inquiry = new InquiryCommand(identity, limits);
        this.capacity = new CapacityCommands(device);
        this.modePages = new ModePages(device);
        this.readWrite = new ReadWriteCommands(io, rangeLock, limits);
        this.provisioning = new ProvisioningCommands(io, rangeLock, limits);
        this.compareAndWrite = new CompareAndWriteCommand(io, rangeLock, limits);
    }

    public DiskIdentity identity() {
        return identity;
    }

    public DiskLimits limits() {
        return limits;
    }

    @Override
    public SubmissionBatch beginBatch() {
        return device.beginBatch();
    }

    @Override
    public CompletableFuture<ScsiResponse> execute(ScsiRequest request) {
        CompletableFuture<ScsiResponse> result;
        try {
            result = dispatch(request);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.handle((response, failure) -> failure == null ? response : toResponse(failure, request));
    }

    private CompletableFuture<ScsiResponse> dispatch(ScsiRequest request) {
        byte[] raw = request.cdb();
        if (raw.length == 0) {
            throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.INVALID_COMMAND_OPERATION_CODE));
        }
        Cdb cdb = new Cdb(raw);
        int opcode = cdb.opcode();
        CommandDescriptor command = CommandSet.find(opcode, cdb.serviceAction());
        if (command == null) {
            if (CommandSet.opcodeHasServiceActions(opcode) && raw.length > 1) {
                throw Cdb.invalidField(1, 4); // known opcode, unsupported service action
            }
            throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.INVALID_COMMAND_OPERATION_CODE));
        }
        if (raw.length < command.cdbLength()) {
            throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.INVALID_FIELD_IN_CDB));
        }
        if (!command.whileNotReady() && !device.isReady()) {
            throw ScsiFailure.check(Sense.notReady());
        }
        if (command.hasProtectField()) {
            cdb.rejectProtectionInformation();
        }
        cdb.checkUsage(command.validationMask());
        return switch (opcode) {
            case TEST_UNIT_READY, START_STOP_UNIT -> CommandSupport.GOOD; // readiness checked above
            case REQUEST_SENSE -> done(requestSense(cdb, request));
            case INQUIRY -> done(inquiry.execute(cdb, request));
            case READ_CAPACITY_10 -> done(capacity.readCapacity10(cdb, request));
            case SERVICE_ACTION_IN_16 -> done(capacity.readCapacity16(cdb, request));
            case MODE_SENSE_6 -> done(modePages.sense(cdb, request, false));
            case MODE_SENSE_10 -> done(modePages.sense(cdb, request, true));
            case MODE_SELECT_6 -> done(modePages.select(cdb, request, false));
            case MODE_SELECT_10 -> done(modePages.select(cdb, request, true));
            case REPORT_LUNS -> done(reports.reportLuns(cdb, request));
            case MAINTENANCE_IN -> done(reports.reportSupportedOperationCodes(cdb, request));
            case READ_6, READ_10, READ_12, READ_16 -> readWrite.read(cdb, request);
            case WRITE_6, WRITE_10, WRITE_12, WRITE_16 -> readWrite.write(cdb, request);
            case VERIFY_10, VERIFY_16 -> readWrite.verify(cdb, request);
            case WRITE_AND_VERIFY_10, WRITE_AND_VERIFY_16 -> readWrite.writeAndVerify(cdb, request);
            case SYNCHRONIZE_CACHE_10, SYNCHRONIZE_CACHE_16 -> readWrite.synchronizeCache(cdb);
            case UNMAP -> provisioning.unmap(cdb, request);
            case WRITE_SAME_10 -> provisioning.writeSame(cdb, request, false);
            case WRITE_SAME_16 -> provisioning.writeSame(cdb, request, true);
            case COMPARE_AND_WRITE -> compareAndWrite.execute(cdb, request);
            default -> throw new IllegalStateException("command table lists " + command.name() + " without a handler");
        };
    }

    /**
     * REQUEST SENSE: sense is returned with each CHECK CONDITION (autosense), so nothing is
     * pending here; what REQUEST SENSE reports is the unit's state: NOT READY while standby,
     * NO SENSE otherwise. DESC=1 asks for descriptor format.
     */
    private ScsiResponse requestSense(Cdb cdb, ScsiRequest request) {
        Sense sense = device.isReady() ? Sense.noSense() : Sense.notReady();
        byte[] data = cdb.bit(1, 0) ? sense.toDescriptorFormat() : sense.toFixedFormat();
        return CommandSupport.dataIn(data, cdb.u8(4), request);
    }

    private static CompletableFuture<ScsiResponse> done(ScsiResponse response) {
        return CompletableFuture.completedFuture(response);
    }

    private static ScsiResponse toResponse(Throwable failure, ScsiRequest request) {
        Throwable cause = DeviceIo.unwrap(failure);
        if (cause instanceof ScsiFailure sf) {
            if (log.isDebugEnabled()) {
                log.debug("CDB {} -> {}", HexFormat.of().formatHex(request.cdb()), sf.getMessage());
            }
            return sf.toResponse();
        }
        // A bug, not a device condition: the host gets a non-retried HARDWARE ERROR, not a hang.
        log.error("CDB {} failed unexpectedly; answering HARDWARE ERROR / INTERNAL TARGET FAILURE",
                HexFormat.of().formatHex(request.cdb()), cause);
        return ScsiResponse.checkCondition(
                Sense.of(SenseKey.HARDWARE_ERROR, AdditionalSense.INTERNAL_TARGET_FAILURE).toFixedFormat());
    }
}
