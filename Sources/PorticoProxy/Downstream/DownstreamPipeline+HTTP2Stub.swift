import NIOCore
import PorticoCore

/// Placeholder for the HTTP/2 pipeline (written separately; deleted at integration).
extension DownstreamPipeline {
    struct HTTP2NotAvailable: Error {}

    public static func configureHTTP2(_ channel: any Channel, worker: ProxyWorker, listener: ListenerRuntime, scheme: ForwardedHeaders.Proto) throws {
        throw HTTP2NotAvailable()
    }
}
