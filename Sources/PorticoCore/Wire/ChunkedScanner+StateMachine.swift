/// The byte-level state machine behind ``ChunkedScanner``: one state per position in the
/// RFC 9112 §7.1 grammar, so that a body split anywhere resumes exactly where it stopped.
extension ChunkedScanner {
    enum State: UInt8, Sendable {
        // chunk-size [ chunk-ext ] CRLF
        case sizeStart, size, sizeWhitespace
        case extNameStart, extName, extAfterName
        case extValueStart, extToken, extQuoted, extQuotedPair, extAfterQuoted, extAfterValue
        case sizeLF
        // chunk-data CRLF
        case data, dataCR, dataLF
        // trailer-section CRLF
        case trailerLineStart, trailerName, trailerValue, trailerLF, finalLF
        case done, failed

        /// States inside a `chunk-size [ chunk-ext ] CRLF` line, which `maxLineLength` bounds.
        var isSizeLine: Bool { rawValue <= State.sizeLF.rawValue }
        /// States inside the trailer section, which `maxTrailerBytes` bounds.
        var isTrailer: Bool { rawValue >= State.trailerLineStart.rawValue && rawValue <= State.finalLF.rawValue }
    }

    /// Consumes one framing byte (never chunk-data); returns why it is invalid, if it is.
    @inline(__always)
    mutating func step(_ byte: UInt8) -> ChunkedScanError.Reason? {
        if state.isSizeLine {
            lineLength &+= 1
            if lineLength > maxLineLength { return .lineTooLong }
            return stepSizeLine(byte)
        }
        switch state {
        case .dataCR:
            guard byte == ASCII.cr else { return .missingCRLFAfterData }
            state = .dataLF
        case .dataLF:
            guard byte == ASCII.lf else { return .missingCRLFAfterData }
            state = .sizeStart
        default:
            trailerBytes &+= 1
            if trailerBytes > maxTrailerBytes { return .trailersTooLarge }
            return stepTrailer(byte)
        }
        return nil
    }

    private mutating func stepSizeLine(_ byte: UInt8) -> ChunkedScanError.Reason? {
        switch state {
        case .sizeStart:
            guard let digit = Self.hexValue(byte) else {
                return byte == ASCII.cr ? .emptyChunkSize : Self.classify(byte, otherwise: .invalidChunkSize)
            }
            chunkSize = digit
            sizeDigits = 1
            state = .size
        case .size:
            if let digit = Self.hexValue(byte) {
                sizeDigits += 1
                if sizeDigits > maxChunkSizeDigits || chunkSize > (Int.max >> 4) { return .chunkSizeOverflow }
                chunkSize = chunkSize << 4 | digit
                return nil
            }
            switch byte {
            case ASCII.cr: state = .sizeLF
            case ASCII.semicolon: state = .extNameStart
            case ASCII.space, ASCII.tab:
                guard allowsExtensionWhitespace else { return .unexpectedWhitespace }
                state = .sizeWhitespace
            default: return Self.classify(byte, otherwise: .invalidChunkSize)
            }
        case .sizeWhitespace:
            // BWS is only allowed before ";": whitespace right before CRLF is an error.
            switch byte {
            case ASCII.space, ASCII.tab: break
            case ASCII.semicolon: state = .extNameStart
            case ASCII.cr: return .unexpectedWhitespace
            default: return Self.classify(byte, otherwise: .invalidChunkSize)
            }
        case .extNameStart:
            if ASCII.isTokenChar(byte) {
                state = .extName
            } else if byte == ASCII.space || byte == ASCII.tab {
                if !allowsExtensionWhitespace { return .unexpectedWhitespace }
            } else {
                return Self.classify(byte, otherwise: .invalidChunkExtension)
            }
        case .extName:
            if ASCII.isTokenChar(byte) { return nil }
            switch byte {
            case ASCII.cr: state = .sizeLF
            case ASCII.semicolon: state = .extNameStart
            case ExtByte.equals: state = .extValueStart
            case ASCII.space, ASCII.tab:
                guard allowsExtensionWhitespace else { return .unexpectedWhitespace }
                state = .extAfterName
            default: return Self.classify(byte, otherwise: .invalidChunkExtension)
            }
        case .extAfterName:
            switch byte {
            case ASCII.space, ASCII.tab: break
            case ExtByte.equals: state = .extValueStart
            case ASCII.semicolon: state = .extNameStart
            case ASCII.cr: return .unexpectedWhitespace
            default: return Self.classify(byte, otherwise: .invalidChunkExtension)
            }
        case .extValueStart:
            if ASCII.isTokenChar(byte) {
                state = .extToken
            } else if byte == ExtByte.quote {
                state = .extQuoted
            } else if byte == ASCII.space || byte == ASCII.tab {
                if !allowsExtensionWhitespace { return .unexpectedWhitespace }
            } else {
                return Self.classify(byte, otherwise: .invalidChunkExtension)
            }
        case .extToken, .extAfterQuoted:
            if state == .extToken, ASCII.isTokenChar(byte) { return nil }
            switch byte {
            case ASCII.cr: state = .sizeLF
            case ASCII.semicolon: state = .extNameStart
            case ASCII.space, ASCII.tab:
                guard allowsExtensionWhitespace else { return .unexpectedWhitespace }
                state = .extAfterValue
            default: return Self.classify(byte, otherwise: .invalidChunkExtension)
            }
        case .extQuoted:
            // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
            switch byte {
            case ExtByte.quote: state = .extAfterQuoted
            case ExtByte.backslash: state = .extQuotedPair
            case ASCII.tab, 0x20...0x7E, 0x80...0xFF: break
            default: return Self.classify(byte, otherwise: .invalidCharacter)
            }
        case .extQuotedPair:
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            switch byte {
            case ASCII.tab, 0x20...0x7E, 0x80...0xFF: state = .extQuoted
            default: return Self.classify(byte, otherwise: .invalidCharacter)
            }
        case .extAfterValue:
            switch byte {
            case ASCII.space, ASCII.tab: break
            case ASCII.semicolon: state = .extNameStart
            case ASCII.cr: return .unexpectedWhitespace
            default: return Self.classify(byte, otherwise: .invalidChunkExtension)
            }
        case .sizeLF:
            guard byte == ASCII.lf else { return .bareCR }
            lineLength = 0
            // A zero size is the last-chunk: the trailer section follows, not data.
            state = chunkSize == 0 ? .trailerLineStart : .data
        default:
            preconditionFailure("not a size-line state: \(state)")
        }
        return nil
    }

    private mutating func stepTrailer(_ byte: UInt8) -> ChunkedScanError.Reason? {
        switch state {
        case .trailerLineStart:
            if ASCII.isTokenChar(byte) {
                state = .trailerName
                if mode == .decode { fieldName.append(byte) }
                return nil
            }
            switch byte {
            case ASCII.cr: state = .finalLF
            case ASCII.space, ASCII.tab: return .trailerLineFolding
            default: return Self.classify(byte, otherwise: .invalidTrailerName)
            }
        case .trailerName:
            if ASCII.isTokenChar(byte) {
                if mode == .decode { fieldName.append(byte) }
                return nil
            }
            switch byte {
            case ASCII.colon: state = .trailerValue
            case ASCII.space, ASCII.tab: return .trailerWhitespaceBeforeColon
            case ASCII.lf: return .bareLF
            default: return .invalidTrailerName
            }
        case .trailerValue:
            if byte == ASCII.cr {
                state = .trailerLF
            } else if byte == ASCII.lf {
                return .bareLF
            } else if ASCII.isInvalidFieldValueByte(byte) {
                return .invalidTrailerValue
            } else if mode == .decode {
                let isWhitespace = byte == ASCII.space || byte == ASCII.tab
                // Leading OWS is skipped; trailing OWS is cut off at the line's end.
                if !(isWhitespace && fieldValue.isEmpty) {
                    fieldValue.append(byte)
                    if !isWhitespace { fieldValueEnd = fieldValue.count }
                }
            }
        case .trailerLF:
            guard byte == ASCII.lf else { return .bareCR }
            state = .trailerLineStart
            if mode == .decode {
                trailers.append(
                    ChunkedTrailerField(
                        name: String(decoding: fieldName, as: UTF8.self),
                        value: String(decoding: fieldValue[..<fieldValueEnd], as: UTF8.self)
                    )
                )
                fieldName.removeAll(keepingCapacity: true)
                fieldValue.removeAll(keepingCapacity: true)
                fieldValueEnd = 0
            }
        case .finalLF:
            guard byte == ASCII.lf else { return .bareCR }
            state = .done
        default:
            preconditionFailure("not a trailer state: \(state)")
        }
        return nil
    }

    /// LF and control bytes other than CR get their own reasons wherever they appear in the
    /// framing; a CR where the line may not end yet is a syntax error of the element.
    @inline(__always)
    private static func classify(_ byte: UInt8, otherwise reason: ChunkedScanError.Reason) -> ChunkedScanError.Reason {
        if byte == ASCII.lf { return .bareLF }
        if (byte < 0x20 && byte != ASCII.cr) || byte == 0x7F { return .invalidCharacter }
        return reason
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> Int? {
        if (byte &- 0x30) < 10 { return Int(byte &- 0x30) }
        let lower = byte | 0x20
        if (lower &- 0x61) < 6 { return Int(lower &- 0x61 &+ 10) }
        return nil
    }
}

/// Bytes of the chunk-ext grammar that `ASCII` does not name (kept private to this file so
/// they cannot clash with other `Wire/` parsers).
private enum ExtByte {
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
}
