import Foundation
import X509

/// Reads and checks the PEM files of a TLS listener, for `portico validate` (through
/// `ConfigLoader`) and for each compiled generation: that they can be read, hold a
/// certificate and a private key, that the key belongs to the certificate, and that the
/// certificate is valid now. A problem names the file at fault, so the diagnostic can
/// point at `cert:` or `key:`.
///
/// Pure apart from reading the files; the TLS stack (NIOSSL) loads the same files again
/// when it builds its contexts.
public enum TLSCertificateFiles {
    /// What a listener needs to know of a valid certificate.
    public struct Inspected: Sendable, Equatable {
        /// The DNS names the leaf answers for: its SAN `dNSName` entries, or its subject
        /// common name when it has no SAN (RFC 6125 §6.4.4).
        public var names: [String]
        public var notValidAfter: Date
    }

    public struct Problem: Error, Equatable, CustomStringConvertible {
        public enum File: Sendable, Equatable {
            case certificate
            case key
        }

        public var file: File
        public var message: String
        public var description: String { self.message }
    }

    /// Checks a certificate chain file and its key file.
    public static func inspect(certificatePath: String, keyPath: String, now: Date = Date()) -> Result<Inspected, Problem> {
        func certificateProblem(_ message: String) -> Result<Inspected, Problem> {
            .failure(Problem(file: .certificate, message: message))
        }
        let certificates: [Certificate]
        switch self.readCertificates(certificatePath, what: "certificate file") {
        case .success(let list): certificates = list
        case .failure(let problem): return .failure(problem)
        }
        let leaf = certificates[0]
        if now < leaf.notValidBefore {
            return certificateProblem("certificate in \(configQuoted(certificatePath)) is not valid before \(Self.format(leaf.notValidBefore))")
        }
        if now > leaf.notValidAfter {
            return certificateProblem("certificate in \(configQuoted(certificatePath)) expired on \(Self.format(leaf.notValidAfter))")
        }

        let keyText: String
        switch ConfigLoader.readFile(keyPath, what: "key file \(configQuoted(keyPath))") {
        case .success(let text): keyText = text
        case .failure(let problem): return .failure(Problem(file: .key, message: problem.message))
        }
        guard let keyBlock = self.pemBlocks(in: keyText).first(where: { $0.label.hasSuffix("PRIVATE KEY") }) else {
            return .failure(Problem(file: .key, message: "key file \(configQuoted(keyPath)) contains no PEM private key"))
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: keyBlock.text)
        } catch {
            return .failure(Problem(file: .key, message: "key file \(configQuoted(keyPath)) holds an unsupported or malformed private key (\(error))"))
        }
        guard key.publicKey == leaf.publicKey else {
            return .failure(Problem(
                file: .key,
                message: "the private key in \(configQuoted(keyPath)) does not match the certificate in \(configQuoted(certificatePath))"
            ))
        }
        return .success(Inspected(names: self.dnsNames(of: leaf), notValidAfter: leaf.notValidAfter))
    }

    /// Checks a CA bundle (`client_auth.ca`); returns how many certificates it holds.
    public static func inspectAuthorities(path: String) -> Result<Int, Problem> {
        self.readCertificates(path, what: "CA file").map(\.count)
    }

    /// The certificates of a PEM file, leaf first.
    static func readCertificates(_ path: String, what: String) -> Result<[Certificate], Problem> {
        func problem(_ message: String) -> Result<[Certificate], Problem> {
            .failure(Problem(file: .certificate, message: message))
        }
        let text: String
        switch ConfigLoader.readFile(path, what: "\(what) \(configQuoted(path))") {
        case .success(let contents): text = contents
        case .failure(let failure): return problem(failure.message)
        }
        let blocks = self.pemBlocks(in: text).filter { $0.label == "CERTIFICATE" }
        guard !blocks.isEmpty else { return problem("\(what) \(configQuoted(path)) contains no PEM certificate") }
        var certificates: [Certificate] = []
        for (index, block) in blocks.enumerated() {
            do {
                certificates.append(try Certificate(pemEncoded: block.text))
            } catch {
                return problem("\(what) \(configQuoted(path)): certificate \(index + 1) cannot be parsed (\(error))")
            }
        }
        return .success(certificates)
    }

    /// The DNS names a server certificate answers for (see `Inspected.names`).
    public static func dnsNames(of certificate: Certificate) -> [String] {
        if let alternatives = try? certificate.extensions.subjectAlternativeNames {
            let names = alternatives.compactMap { name -> String? in
                if case .dnsName(let text) = name { return text }
                return nil
            }
            if !names.isEmpty { return names }
            // A SAN without DNS names (IP addresses only) has no name to match SNI.
            return []
        }
        var commonName: String?
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                commonName = String(attribute.value)
            }
        }
        return commonName.map { [$0] } ?? []
    }

    /// The subject of a DER certificate as an RFC 4514 string (`CN=client,O=Example`),
    /// or nil when it cannot be parsed. Used once per mutually authenticated connection.
    public static func subject(derEncoded bytes: [UInt8]) -> String? {
        (try? Certificate(derEncoded: bytes))?.subject.description
    }

    /// `-----BEGIN <label>-----` … `-----END <label>-----` blocks, in file order.
    static func pemBlocks(in text: String) -> [(label: String, text: String)] {
        var blocks: [(label: String, text: String)] = []
        var label: String?
        var lines: [Substring] = []
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if label == nil, line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst(11).dropLast(5))
                lines = [Substring(line)]
            } else if let current = label {
                lines.append(Substring(line))
                if line == "-----END \(current)-----" {
                    blocks.append((current, lines.joined(separator: "\n") + "\n"))
                    label = nil
                }
            }
        }
        return blocks
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
