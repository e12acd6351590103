package org.blockmirror.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder replaced below. */
@Command(name = "benchmark", hidden = true)
final class BenchmarkCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
