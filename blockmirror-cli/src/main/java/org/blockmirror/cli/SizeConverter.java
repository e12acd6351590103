package org.blockmirror.cli;

import java.util.Locale;
import org.blockmirror.config.ConfigReader;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A byte count on the command line: {@code 1048576}, {@code 512K}, {@code 64MiB}, {@code 1G} (powers of 1024). */
final class SizeConverter implements ITypeConverter<Long> {

    @Override
    public Long convert(String text) {
        Long bytes = ConfigReader.parseSize(text);
        if (bytes == null) {
            throw new TypeConversionException("'" + text + "' is not a size (examples: 4096, 512K, 64M, 1G)");
        }
        return bytes;
    }

    /** 1073741824 → "1 GiB", 1536 MiB → "1.5 GiB". */
    static String format(long bytes) {
        if (bytes >= 1L << 30) {
            return trim(bytes / (double) (1L << 30)) + " GiB";
        }
        if (bytes >= 1L << 20) {
            return trim(bytes / (double) (1L << 20)) + " MiB";
        }
        if (bytes >= 1L << 10) {
            return trim(bytes / (double) (1L << 10)) + " KiB";
        }
        return bytes + " B";
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
