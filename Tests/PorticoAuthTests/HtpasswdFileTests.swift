import Foundation
import Testing

@testable import PorticoAuth

/// Hashes generated with Apache's `htpasswd` (2.4, apache2-utils) and Python's `bcrypt`
/// package, committed as constants.
enum Hashes {
    /// `htpasswd -nbB -C 5 alice 'correct horse'`
    static let alice2y = "$2y$05$9Dh4Q44zVTd8AX3iKv7SYuTAFQOutctAxVs4.rlQKazELXu1CkMO2"
    /// `htpasswd -nbB -C 4 bob 'pässwörd'`
    static let bob2yUTF8 = "$2y$04$oCXTNib9Bx/zavxIfu5Y9O1WN3YD1HmJ1McjjGLSDy.a9WGLrhnfu"
    /// `bcrypt.hashpw(b'correct horse', bcrypt.gensalt(5))`
    static let correctHorse2b = "$2b$05$rdmgUPOL3txC0wgWP/cBaOLzzAn.bCJ9zuYNCcpO5yr6Nxv.koJWu"
    /// `bcrypt.hashpw(b'correct horse', bcrypt.gensalt(4, prefix=b'2a'))`
    static let correctHorse2a = "$2a$04$gVjH.sNrV4v0vLCC6713QOeeYy6SQoRbts40Fqrq3kF3zkNI/yEEC"
    /// `bcrypt.hashpw(b'correct horse battery', bcrypt.gensalt(4))`
    static let battery2b = "$2b$04$4yZHECJshdhm.nAjn4AK4O.oJLlsbpwAyPmlEigHzOD9Ktx6JOmvq"
    /// `bcrypt.hashpw(b'y' * 72, bcrypt.gensalt(4))`
    static let y72 = "$2b$04$e21Rph36uMi1UKHzzpA1b.RZQr1SFFeavout.0w9u3qa71OrSGwIe"
    /// `htpasswd -nbB -C 8 mallory 'timing test'`
    static let mallory2y8 = "$2y$08$ku4H5k02oLFMMeNQOYgyeubB6udjEqVn7D6L5Jvu7A8GW5ntqy42u"
    /// `htpasswd -nb2 gina secret` (SHA-256 crypt, default rounds)
    static let gina5 = "$5$qCZgnVYBNZmbLFlN$oJGdDh3xmOY1HwiSJmCl9xEldVudWV1TnYUGSCJNOT3"
    /// `htpasswd -nb5 gina secret` (SHA-512 crypt, default rounds)
    static let gina6 = "$6$m4tyV.Gu9vit9.vX$Gl06eHtov2oYY9AlAJ0AaHMlPhpxh31flTR.nZ45CtdoTTbXlW5U1VJgdHCOwvvvFKOvcDgYJ1Uq3qbz9ARhm/"
    /// `htpasswd -nb2 -r 20000 heidi 'hunter2 hunter2'`
    static let heidi5Rounds = "$5$rounds=20000$nCpPFpJ.OHUo3L/3$sMco4LdTz5W/UQFDd8USfeFf2d8wDZhd6iwPpKRbPX3"
    /// `htpasswd -nb5 -r 1000 ivan hunter2`
    static let ivan6Rounds = "$6$rounds=1000$NDHk1E2dnSDqRa.r$e7OCD5co3oZyFGEZKoSshRHOWIJhw7pTIU2GrwYfKNOh8oTSaB7naGNL9MOHMsuJVwKUccgy9EEE/E.Gz/v3g."
    /// `htpasswd -nbm carol secret`
    static let apr1 = "$apr1$q7j8l8Ls$fNnJz0YDoiDsZb8F7sh9S."
    /// `htpasswd -nbs dave secret`
    static let sha1 = "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="
    /// `htpasswd -nbd erin secret`
    static let des = "O41fv.Opvr4y6"
    /// `openssl passwd -1 -salt abcdefgh secret`
    static let md5crypt = "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1"
}

private func parsed(_ text: String) throws -> HtpasswdFile {
    try HtpasswdFile.parse(text, path: "/etc/portico/users").get()
}

private func parseError(_ text: String) -> HtpasswdError? {
    if case .failure(let error) = HtpasswdFile.parse(text, path: "/etc/portico/users") { return error }
    return nil
}

struct HtpasswdParseTests {
    @Test func acceptsBcryptAndSHACryptWithCommentsAndBlankLines() throws {
        let text = """
            \u{FEFF}# Portico users
            alice:\(Hashes.alice2y)

              # indented comment
            bob:\(Hashes.bob2yUTF8)\r
            pat:\(Hashes.correctHorse2b)
            old:\(Hashes.correctHorse2a)
            gina:\(Hashes.gina5)
            gina6:\(Hashes.gina6)
            heidi:\(Hashes.heidi5Rounds):a trailing comment field
            ivan:\(Hashes.ivan6Rounds)

            """
        let file = try parsed(text)
        #expect(file.users == ["alice", "bob", "gina", "gina6", "heidi", "ivan", "old", "pat"])
        #expect(file.count == 8)
        #expect(file.path == "/etc/portico/users")
        #expect(file.hashText(for: "heidi") == Hashes.heidi5Rounds)
        #expect(file.hashText(for: "bob") == Hashes.bob2yUTF8)
    }

    @Test(arguments: [
        ("carol:\(Hashes.apr1)", #"line 1: user "carol": apr1 (MD5) hashes are not accepted; use bcrypt (htpasswd -B)"#),
        ("dave:\(Hashes.sha1)", #"line 1: user "dave": {SHA} (unsalted SHA-1) hashes are not accepted; use bcrypt (htpasswd -B)"#),
        ("erin:\(Hashes.des)", #"line 1: user "erin": DES crypt hashes are not accepted; use bcrypt (htpasswd -B)"#),
        ("frank:secret", #"line 1: user "frank": plain-text passwords are not accepted; use bcrypt (htpasswd -B)"#),
        ("frank:correct horse battery staple", #"line 1: user "frank": plain-text passwords are not accepted; use bcrypt (htpasswd -B)"#),
        ("mike:\(Hashes.md5crypt)", #"line 1: user "mike": MD5-crypt ($1$) hashes are not accepted; use bcrypt (htpasswd -B)"#),
        ("sam:{SSHA}abcdefghijklmnop", #"line 1: user "sam": {SSHA} (salted SHA-1) hashes are not accepted; use bcrypt (htpasswd -B)"#),
        ("yes:$y$j9T$abc$def", #"line 1: user "yes": unsupported hash scheme "$y$"; use bcrypt (htpasswd -B) or SHA-crypt (htpasswd -5)"#),
        ("x:$2x$05$9Dh4Q44zVTd8AX3iKv7SYuTAFQOutctAxVs4.rlQKazELXu1CkMO2", #"line 1: user "x": unsupported bcrypt variant "$2x$"; use bcrypt $2y$ (htpasswd -B)"#),
        ("x:$2y$05$9Dh4Q44zVTd8AX3iKv7SYuTAFQOutctAxVs4.rlQKazELXu1CkMO", #"line 1: user "x": malformed bcrypt hash (expected $2y$NN$ and 53 characters)"#),
        ("x:$2y$03$9Dh4Q44zVTd8AX3iKv7SYuTAFQOutctAxVs4.rlQKazELXu1CkMO2", #"line 1: user "x": bcrypt cost 3 is outside 4...31"#),
        ("x:$5$rounds=999$abc$sMco4LdTz5W/UQFDd8USfeFf2d8wDZhd6iwPpKRbPX3", #"line 1: user "x": SHA-crypt rounds=999 is outside 1000...999999999"#),
        ("x:$5$abc$tooShort", #"line 1: user "x": malformed SHA-crypt hash: digest is not 43 characters of the crypt alphabet"#),
        ("x:$6$saltstringsaltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", #"line 1: user "x": malformed SHA-crypt hash: salt longer than 16 characters"#),
        ("x:", #"line 1: user "x": empty password hash"#),
        (":\(Hashes.alice2y)", "line 1: empty user name"),
        ("no colon here", "line 1: expected user:hash"),
    ])
    func refusedLines(line: String, message: String) {
        let error = parseError("# header\n\(line)")
        // Line numbers count the comment line.
        #expect(error?.message == message.replacingOccurrences(of: "line 1:", with: "line 2:"))
        #expect(error?.line == 2)
        #expect(error?.path == "/etc/portico/users")
    }

    @Test func refusalMessageNeverContainsTheHash() {
        let error = parseError("carol:\(Hashes.apr1)")
        #expect(error != nil)
        #expect(error?.description.contains("fNnJz0") == false)
        #expect(error?.description == #"/etc/portico/users: line 1: user "carol": apr1 (MD5) hashes are not accepted; use bcrypt (htpasswd -B)"#)
    }

    @Test func crlfLineEnds() throws {
        let file = try parsed("# users\r\nalice:\(Hashes.alice2y)\r\n\r\nivan:\(Hashes.ivan6Rounds)\r")
        #expect(file.users == ["alice", "ivan"])
        #expect(file.verify(user: "ivan", password: "hunter2"))
        #expect(parseError("# users\r\nalice:secret\r\n")?.message
            == #"line 2: user "alice": plain-text passwords are not accepted; use bcrypt (htpasswd -B)"#)
    }

    @Test func nonASCIIUserNames() throws {
        let file = try parsed("jos\u{E9}:\(Hashes.ivan6Rounds)\n")
        #expect(file.verify(user: "jos\u{E9}", password: "hunter2"))
        // A combining mark right after the colon belongs to the hash field, not the user.
        #expect(parseError("u:\u{301}x")?.message == #"line 1: user "u": plain-text passwords are not accepted; use bcrypt (htpasswd -B)"#)
    }

    @Test func duplicateUserReportsBothLines() {
        let text = """
            # users
            alice:\(Hashes.alice2y)

            alice:\(Hashes.correctHorse2b)
            """
        let error = parseError(text)
        #expect(error?.message == #"line 4: user "alice": duplicate entry (first defined on line 2)"#)
        #expect(error?.line == 4)
    }

    @Test func emptyFileHasNoUsers() throws {
        let file = try parsed("# nobody yet\n\n")
        #expect(file.count == 0)
        #expect(!file.verify(user: "alice", password: "correct horse"))
    }

    @Test func loadReadsTheFileAndReportsUnreadableOnes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-htpasswd-\(UUID().uuidString)").path
        try "alice:\(Hashes.alice2y)\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try HtpasswdFile.load(path: path).get()
        #expect(file.users == ["alice"])
        #expect(file.path == path)

        guard case .failure(let error) = HtpasswdFile.load(path: path + ".missing") else {
            Issue.record("loading a missing file succeeded")
            return
        }
        #expect(error.line == nil)
        #expect(error.path == path + ".missing")
        #expect(error.message.hasPrefix("cannot read htpasswd file"))
    }
}

struct HtpasswdVerifyTests {
    static let file: HtpasswdFile = {
        let text = """
            alice:\(Hashes.alice2y)
            bob:\(Hashes.bob2yUTF8)
            pat:\(Hashes.correctHorse2b)
            old:\(Hashes.correctHorse2a)
            yves:\(Hashes.y72)
            gina:\(Hashes.gina5)
            gina6:\(Hashes.gina6)
            heidi:\(Hashes.heidi5Rounds)
            ivan:\(Hashes.ivan6Rounds)
            """
        return try! HtpasswdFile.parse(text, path: "test").get()
    }()

    @Test(arguments: [
        ("alice", "correct horse"),  // $2y$ from htpasswd -B
        ("bob", "pässwörd"),  // $2y$, UTF-8 password
        ("pat", "correct horse"),  // $2b$
        ("old", "correct horse"),  // $2a$
        ("yves", String(repeating: "y", count: 72)),
        ("gina", "secret"),  // $5$
        ("gina6", "secret"),  // $6$
        ("heidi", "hunter2 hunter2"),  // $5$rounds=20000
        ("ivan", "hunter2"),  // $6$rounds=1000
    ])
    func correctPasswordVerifies(user: String, password: String) {
        #expect(Self.file.verify(user: user, password: password))
    }

    @Test(arguments: [
        ("alice", "correct horsE"),
        ("alice", "correct horse "),
        ("alice", ""),
        ("bob", "passwoerd"),
        ("pat", "correct horse battery"),
        ("old", "Correct horse"),
        ("gina", "secreT"),
        ("gina6", "secret2"),
        ("heidi", "hunter2"),
        ("ivan", "hunter2 hunter2"),
        ("Alice", "correct horse"),  // user names are case-sensitive
    ])
    func wrongPasswordFails(user: String, password: String) {
        #expect(!Self.file.verify(user: user, password: password))
    }

    @Test func bcryptTruncatesAt72Bytes() {
        // Documented bcrypt behaviour (all implementations): byte 73 onwards is ignored.
        #expect(Self.file.verify(user: "yves", password: String(repeating: "y", count: 73)))
        #expect(!Self.file.verify(user: "yves", password: String(repeating: "y", count: 71)))
    }

    @Test func passwordWithNULIsRefusedEvenThoughCWouldStopThere() {
        // The C bcrypt sees "correct horse" and would match; the NUL must not be a bypass.
        #expect(!Self.file.verify(user: "alice", password: "correct horse\u{0}anything"))
        #expect(!Self.file.verify(user: "gina", password: "secret\u{0}x"))
    }

    @Test func overlongPasswordIsRefused() {
        #expect(!Self.file.verify(user: "alice", password: "correct horse" + String(repeating: "x", count: 600)))
    }

    @Test func unknownUserFails() {
        #expect(!Self.file.verify(user: "mallory", password: "correct horse"))
        #expect(!Self.file.verify(user: "", password: ""))
    }

    /// An unknown user must cost a full hash too (no enumeration by timing). With bcrypt
    /// cost 8 a verification takes milliseconds; skipping the dummy hash would take
    /// microseconds, three orders of magnitude less than the bound checked here.
    @Test func unknownUserSpendsAHashComputation() throws {
        let file = try HtpasswdFile.parse("mallory:\(Hashes.mallory2y8)\n", path: "t").get()
        func median(_ body: () -> Void) -> Duration {
            var samples: [Duration] = []
            for _ in 0..<3 { samples.append(ContinuousClock().measure(body)) }
            return samples.sorted()[1]
        }
        let known = median { _ = file.verify(user: "mallory", password: "wrong guess") }
        let unknown = median { _ = file.verify(user: "trudy", password: "wrong guess") }
        #expect(file.verify(user: "mallory", password: "timing test"))
        #expect(unknown > known / 4, "unknown user took \(unknown), known user \(known)")
    }
}
