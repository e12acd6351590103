package org.blockmirror.linksim;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A network link between two units on one machine, for the demo and the tests: TCP and UDP
 * forwarders on 127.0.0.1 that the units are pointed at instead of each other, and that can be
 * cut (a blackhole: nothing passes, nobody is told) and restored, or made to delay traffic.
 *
 * <p>A cut behaves like a pulled cable between routers: UDP datagrams are dropped; TCP bytes
 * stop flowing (they wait in socket buffers, as TCP would retransmit them) and closes are not
 * passed on until the link is restored. New TCP connections are accepted locally but carry
 * nothing across until then.
 */
public final class LinkSimulator implements AutoCloseable {

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final List<TcpForwarder> tcp = new ArrayList<>();
    private final List<UdpForwarder> udp = new ArrayList<>();
    private volatile boolean cut;
    private volatile LongSupplier delayMillis = () -> 0;

    /** Forwards TCP connections made to the returned address on to {@code target}. */
    public synchronized InetSocketAddress forwardTcp(InetSocketAddress target) throws InterruptedException {
        TcpForwarder f = new TcpForwarder(group, target, this);
        tcp.add(f);
        return f.start();
    }

    /** Forwards UDP datagrams sent to the returned address on to {@code target}. */
    public synchronized InetSocketAddress forwardUdp(InetSocketAddress target) throws InterruptedException {
        UdpForwarder f = new UdpForwarder(group, target, this);
        udp.add(f);
        return f.start();
    }

    /** Stops all traffic both ways. */
    public void cut() {
        cut = true;
    }

    /** Lets traffic flow again, delivering what TCP had queued and any closes held back. */
    public synchronized void restore() {
        cut = false;
        tcp.forEach(TcpForwarder::resume);
    }

    public boolean isCut() {
        return cut;
    }

    /**
     * Delays every chunk of TCP data by the supplied number of milliseconds (order within one
     * connection is kept, as TCP would; different connections are delayed independently, so
     * writes spread over n connections arrive out of order).
     */
    public void delayTcp(LongSupplier millis) {
        this.delayMillis = millis;
    }

    long nextDelayMillis() {
        return delayMillis.getAsLong();
    }

    /** TCP connections currently forwarded (both ends open). */
    public synchronized int tcpConnections() {
        int n = 0;
        for (TcpForwarder f : tcp) {
            n += f.connections();
        }
        return n;
    }

    public synchronized long udpDropped() {
        long n = 0;
        for (UdpForwarder f : udp) {
            n += f.dropped();
        }
        return n;
    }

    @Override
    public synchronized void close() {
        tcp.forEach(TcpForwarder::close);
        udp.forEach(UdpForwarder::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
