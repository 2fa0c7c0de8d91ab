import NIOCore
import PorticoCore

/// libFuzzer entry point. Every input goes through each part of the wire codec that exists;
/// an invariant that does not hold aborts the process, which libFuzzer reports as a crash
/// and saves the input (see docs/fuzzing.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(UnsafeBufferPointer(start: data, count: size))
    FuzzChunked.check(input)
    FuzzHeads.checkRequest(input)
    FuzzHeads.checkResponse(input)
    return 0
}

/// The bytes of one fuzz input, with the parameters derived from them (so that a saved
/// crash input replays exactly).
struct FuzzInput {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Where the input is split in two reads, 0...count.
    let split: Int
    /// Bits to vary scanner options with.
    let knob: UInt8

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        guard let first = bytes.first, let last = bytes.last else {
            split = 0
            knob = 0
            return
        }
        // FNV-1a over the input: stable, and every byte moves the split.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        split = Int(hash % UInt64(bytes.count + 1))
        knob = first ^ last
    }

    var count: Int { bytes.count }
    var whole: ByteBuffer { ByteBuffer(bytes: bytes) }
    var head: ByteBuffer { ByteBuffer(bytes: UnsafeBufferPointer(rebasing: bytes[..<split])) }
    var tail: ByteBuffer { ByteBuffer(bytes: UnsafeBufferPointer(rebasing: bytes[split...])) }
}

/// Fails the run (libFuzzer sees the abort and saves the input) when `condition` is false.
@inline(__always)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant violated: \(message())") }
}
