package org.blockmirror.block;

/**
 * The submissions one front-end pass makes, e.g. every command a single read of the TCMU ring
 * found: a hint like the Linux block layer's plug. Until {@link #close()} the device may hold
 * back what this thread submits; at close it may run the whole batch on the calling thread
 * if it has nothing else in progress (no hand-off to another thread for a lone write), or hand
 * it over at once (one group commit for the batch).
 *
 * <p>Only the thread that began a batch may close it, once. Submissions still complete
 * asynchronously; the caller must not wait for one of its own submissions before closing.
 */
public interface SubmissionBatch extends AutoCloseable {

    /** No batching: every submission goes on its way at once. */
    SubmissionBatch NONE = () -> { };

    @Override
    void close();
}
