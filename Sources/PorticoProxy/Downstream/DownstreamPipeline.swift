import NIOCore
import PorticoCore

/// Builds the pipeline of an accepted client connection.
public enum DownstreamPipeline {
    /// A single handler: `DownstreamHandler` reads and writes raw bytes with Portico's
    /// own HTTP/1.1 parser and head writer. No generic codec, no per-request header
    /// objects, no extra pipeline hops (the throughput issue measured these as the bulk
    /// of per-request cost with NIO's stock HTTP handlers).
    /// - Parameter listener: the accepting listener's connection-level controls.
    public static func configure(
        _ channel: any Channel,
        worker: ProxyWorker,
        listener: ListenerRuntime = .unrestricted,
        scheme: ForwardedHeaders.Proto = .http
    ) throws {
        try channel.pipeline.syncOperations.addHandler(DownstreamHandler(worker: worker, listener: listener, scheme: scheme))
    }
}
