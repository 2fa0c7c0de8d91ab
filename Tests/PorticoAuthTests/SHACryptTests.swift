import Testing

@testable import PorticoAuth

/// The test vectors of Ulrich Drepper's specification ("Unix crypt using SHA-256 and
/// SHA-512"), plus libxcrypt's explicit `rounds=5000` case.
struct SHACryptSpecVectorTests {
    @Test(arguments: [
        ("$5$saltstring", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
        ("$5$rounds=5000$saltstring", "Hello world!", "$5$rounds=5000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
        ("$5$rounds=10000$saltstringsaltstring", "Hello world!",
         "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"),
        ("$5$rounds=5000$toolongsaltstring", "This is just a test",
         "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"),
        ("$5$rounds=1400$anotherlongsaltstring",
         "a very much longer text to encrypt.  This one even stretches over morethan one line.",
         "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"),
        ("$5$rounds=77777$short", "we have a short salt string but not a short password",
         "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"),
        ("$5$rounds=123456$asaltof16chars..", "a short string",
         "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"),
        ("$5$rounds=10$roundstoolow", "the minimum number is still observed",
         "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"),
    ])
    func sha256(setting: String, password: String, expected: String) {
        #expect(SHACrypt.crypt(password: password.utf8, setting: setting) == expected)
    }

    @Test(arguments: [
        ("$6$saltstring", "Hello world!",
         "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
        ("$6$rounds=5000$saltstring", "Hello world!",
         "$6$rounds=5000$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
        ("$6$rounds=10000$saltstringsaltstring", "Hello world!",
         "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
        ("$6$rounds=5000$toolongsaltstring", "This is just a test",
         "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"),
        ("$6$rounds=1400$anotherlongsaltstring",
         "a very much longer text to encrypt.  This one even stretches over morethan one line.",
         "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"),
        ("$6$rounds=77777$short", "we have a short salt string but not a short password",
         "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"),
        ("$6$rounds=123456$asaltof16chars..", "a short string",
         "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"),
        ("$6$rounds=10$roundstoolow", "the minimum number is still observed",
         "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."),
    ])
    func sha512(setting: String, password: String, expected: String) {
        #expect(SHACrypt.crypt(password: password.utf8, setting: setting) == expected)
    }

    /// Spec vectors whose stored form is valid in a file verify through the htpasswd path
    /// (parse + constant-time compare), and fail with a one-character change.
    @Test(arguments: [
        ("$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!"),
        ("$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/", "we have a short salt string but not a short password"),
        ("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!"),
        ("$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
         "a very much longer text to encrypt.  This one even stretches over morethan one line."),
    ])
    func storedVectorsVerify(hash: String, password: String) throws {
        let file = try HtpasswdFile.parse("u:\(hash)", path: "t").get()
        #expect(file.verify(user: "u", password: password))
        #expect(!file.verify(user: "u", password: password + "."))
        #expect(!file.verify(user: "u", password: String(password.dropLast())))
    }

    @Test func emptyPasswordAndEmptySalt() {
        // Expected values from Python passlib's sha256_crypt / sha512_crypt.
        #expect(SHACrypt.crypt(password: "".utf8, setting: "$5$x") == "$5$x$yHbtfs4Y8t6X1xcJemNX.4JQRfUTafA2qQenWGLBee2")
        #expect(SHACrypt.crypt(password: "".utf8, setting: "$6$x") == "$6$x$QSmr1Bx2g4O6BzKvdkgOcyU6H91X6I/XBv5pSalMhSPkwdH6Beo3F455xZJg0v//bxVK5F4OE5k1.0xuR26MK0")
        #expect(SHACrypt.crypt(password: "".utf8, setting: "$6$$") == "$6$$/chiBau24cE26QQVW3IfIe68Xu5.JQ4E8Ie7lcRLwqxO5cxGuBhqF2HmTL.zWJ9zjChg3yJYFXeGBQ2y3Ba1d1")
    }

    @Test func storedHashParsing() {
        #expect(throws: Never.self) { try SHACrypt.parseStored(Hashes.heidi5Rounds).get() }
        let stored = try? SHACrypt.parseStored(Hashes.heidi5Rounds).get()
        #expect(stored?.rounds == 20000)
        #expect(stored?.variant == .sha256)
        #expect(stored.map { String(decoding: $0.salt, as: UTF8.self) } == "nCpPFpJ.OHUo3L/3")
        #expect(SHACrypt.parseStored("$5$rounds=05000$abc$" + String(repeating: "a", count: 43)) == .failure(.malformed("malformed rounds= field")))
        #expect(SHACrypt.parseStored("$5$rounds=1000000000$abc$" + String(repeating: "a", count: 43)) == .failure(.roundsOutOfRange(1_000_000_000)))
        #expect(SHACrypt.parseStored("$6$abc$" + String(repeating: "a", count: 86) + "$") == .failure(.malformed("digest is not 86 characters of the crypt alphabet")))
    }
}
