import Yams

/// Decoder for `listeners[].http2` (`HTTP2Config`).
extension ConfigReader {
    static let http2Keys = [
        "cleartext", "max_concurrent_streams", "max_header_list_size", "initial_window_size", "max_frame_size",
    ]

    mutating func http2(_ value: ConfigNode) -> HTTP2Config {
        var config = HTTP2Config()
        guard let fields = fields(value, known: Self.http2Keys) else { return config }
        if let child = fields["cleartext"], let flag = bool(child) { config.cleartext = flag }
        if let child = fields["max_concurrent_streams"],
            let count = int(child, in: 1...Int(Int32.max), "max_concurrent_streams")
        {
            config.maxConcurrentStreams = count
        }
        if let child = fields["max_header_list_size"], let size = size(child) {
            // Below 1 KiB not even an ordinary browser request fits.
            if size < 1024 {
                report("max_header_list_size must be at least 1KiB, found \(size)", at: child.site)
            } else if size > HTTP2Config.maxWindowSize {
                report("max_header_list_size must be at most 2GiB, found \(size)", at: child.site)
            } else {
                config.maxHeaderListSize = size
            }
        }
        if let child = fields["initial_window_size"], let size = size(child) {
            if size > HTTP2Config.maxWindowSize {
                // RFC 9113 §6.5.2: larger values are a connection error.
                report("initial_window_size must be at most 2147483647 bytes (2^31-1), found \(size)", at: child.site)
            } else {
                config.initialWindowSize = size
            }
        }
        if let child = fields["max_frame_size"], let size = size(child) {
            if HTTP2Config.frameSizeRange.contains(size) {
                config.maxFrameSize = size
            } else {
                report("max_frame_size must be between 16KiB and 16777215 bytes (RFC 9113 §6.5.2), found \(size)", at: child.site)
            }
        }
        return config
    }
}
