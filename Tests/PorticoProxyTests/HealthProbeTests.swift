import NIOCore
import NIOPosix
import PorticoCore
import PorticoProxy
import PorticoTesting
import Synchronization
import Testing

/// Active health checks against real loopback origins (`TestOrigin`, port 0).
@Suite struct HealthProbeTests {
    static var loop: any EventLoop { MultiThreadedEventLoopGroup.singleton.next() }

    static func probe(
        _ origin: TestOrigin,
        _ config: HealthCheckConfig = HealthCheckConfig(path: "/healthz", timeout: .seconds(2))
    ) async throws -> ProbeResult {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: origin.port)
        return try await HealthProbe.run(config: config, address: address, hostHeader: origin.address, on: loop).get()
    }

    static func withOrigin<T>(
        _ behavior: @escaping @Sendable (RecordedRequest) -> OriginResponse,
        _ body: (TestOrigin) async throws -> T
    ) async throws -> T {
        let origin = try await TestOrigin.start(behavior: behavior)
        do {
            let result = try await body(origin)
            try await origin.stop()
            return result
        } catch {
            try await origin.stop()
            throw error
        }
    }

    /// Polls `condition` every 10 ms until it holds or `seconds` pass.
    static func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    // MARK: - HealthProbe

    @Test func passesOn200AndSendsTheProbeRequest() async throws {
        try await Self.withOrigin({ _ in .ok }) { origin in
            let result = try await Self.probe(origin)
            #expect(result == ProbeResult(passed: true, reason: "HTTP 200"))
            let request = try #require(origin.requests().first)
            #expect(request.method == "GET")
            #expect(request.uri == "/healthz")
            #expect(request.header("Host") == origin.address)
            #expect(request.header("User-Agent") == "Portico-Health-Check")
            #expect(request.header("Accept") == "*/*")
            #expect(request.header("Connection") == "close")
        }
    }

    @Test func configuredHostAndMethodAreUsed() async throws {
        try await Self.withOrigin({ _ in .ok }) { origin in
            let config = HealthCheckConfig(method: "HEAD", path: "/ping?x=1", host: "health.internal", timeout: .seconds(2))
            let result1 = try await Self.probe(origin, config)
            #expect(result1.passed)
            let request = try #require(origin.requests().first)
            #expect(request.method == "HEAD")
            #expect(request.uri == "/ping?x=1")
            #expect(request.header("Host") == "health.internal")
        }
    }

    @Test func failsOn503WithTheStatusInTheReason() async throws {
        try await Self.withOrigin({ _ in .text("down", status: 503) }) { origin in
            let result = try await Self.probe(origin)
            #expect(result == ProbeResult(passed: false, reason: "status 503 not in 200-399"))
        }
    }

    @Test func expectStatusRangeIsHonoured() async throws {
        try await Self.withOrigin({ _ in .text("moved", status: 301) }) { origin in
            let result2 = try await Self.probe(origin)
            #expect(result2.passed)  // default 200-399
            let strict = HealthCheckConfig(timeout: .seconds(2), expectStatus: 200...299)
            let result3 = try await Self.probe(origin, strict)
            #expect(result3 == ProbeResult(passed: false, reason: "status 301 not in 200-299"))
        }
    }

    @Test func interimResponseIsSkipped() async throws {
        let raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        try await Self.withOrigin({ _ in .raw(raw) }) { origin in
            let result4 = try await Self.probe(origin)
            #expect(result4 == ProbeResult(passed: true, reason: "HTTP 204"))
        }
    }

    @Test func failsOnTimeoutWhenTheOriginNeverAnswers() async throws {
        try await Self.withOrigin({ _ in .delayHead(.seconds(10), then: .ok) }) { origin in
            let start = ContinuousClock.now
            let result = try await Self.probe(origin, HealthCheckConfig(timeout: .milliseconds(200)))
            let elapsed = ContinuousClock.now - start
            #expect(!result.passed)
            // Under a loaded test run the connect itself may be what times out; either way
            // the reason names the configured timeout.
            #expect(result.reason.hasSuffix("timed out after 200ms"), "\(result.reason)")
            #expect(elapsed >= .milliseconds(190))
            // Lower bound only on speed: the probe must not wait for the origin's 10 s answer.
            #expect(elapsed < .seconds(9))
            // The probe closed its connection.
            #expect(await Self.eventually { origin.openConnectionCount == 0 })
        }
    }

    @Test func failsOnConnectionRefused() async throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        let result = try await HealthProbe.run(
            config: HealthCheckConfig(timeout: .seconds(2)), address: address, hostHeader: "127.0.0.1:1", on: Self.loop
        ).get()
        #expect(result == ProbeResult(passed: false, reason: "connect failed: connection refused"))
    }

    @Test func failsWhenTheOriginClosesWithoutAnswering() async throws {
        try await Self.withOrigin({ _ in .closeBeforeResponse }) { origin in
            let result = try await Self.probe(origin)
            #expect(!result.passed)
            #expect(result.reason == "connection closed before a complete response head")
        }
    }

    @Test func failsOnAMalformedResponse() async throws {
        try await Self.withOrigin({ _ in .raw("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n") }) { origin in
            let result = try await Self.probe(origin)
            #expect(!result.passed)
            #expect(result.reason.hasPrefix("invalid response: "))
        }
    }

    @Test func bodyCheckWithContentLength() async throws {
        try await Self.withOrigin({ _ in .text("{\"status\": \"ok\"}") }) { origin in
            var config = HealthCheckConfig(timeout: .seconds(2), expectBody: "\"ok\"")
            let result5 = try await Self.probe(origin, config)
            #expect(result5 == ProbeResult(passed: true, reason: "HTTP 200"))
            config.expectBody = "healthy"
            let result6 = try await Self.probe(origin, config)
            #expect(result6 == ProbeResult(passed: false, reason: "body does not contain \"healthy\""))
        }
    }

    @Test func bodyCheckWithChunkedBodySpanningChunks() async throws {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nall \r\n2\r\ngo\r\n2;x=y\r\nod\r\n0\r\nX-T: 1\r\n\r\n"
        try await Self.withOrigin({ _ in .raw(raw) }) { origin in
            var config = HealthCheckConfig(timeout: .seconds(2), expectBody: "all good")
            let result7 = try await Self.probe(origin, config)
            #expect(result7 == ProbeResult(passed: true, reason: "HTTP 200"))
            config.expectBody = "bad"
            let result8 = try await Self.probe(origin, config)
            #expect(result8 == ProbeResult(passed: false, reason: "body does not contain \"bad\""))
        }
    }

    @Test func bodyCheckWithAnInvalidChunkedBodyFails() async throws {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n"
        try await Self.withOrigin({ _ in .raw(raw) }) { origin in
            let result = try await Self.probe(origin, HealthCheckConfig(timeout: .seconds(2), expectBody: "ok"))
            #expect(!result.passed)
            #expect(result.reason.hasPrefix("invalid chunked body: "))
        }
    }

    @Test func bodyCheckWithBodyReadUntilClose() async throws {
        try await Self.withOrigin({ _ in .raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstatus=UP") }) { origin in
            var config = HealthCheckConfig(timeout: .seconds(2), expectBody: "UP")
            let result9 = try await Self.probe(origin, config)
            #expect(result9.passed)
            config.expectBody = "DOWN"
            let result10 = try await Self.probe(origin, config)
            #expect(!result10.passed)
        }
    }

    @Test func bodyCheckLooksAtTheFirst64KiBOnly() async throws {
        let filler = String(repeating: "x", count: 64 * 1024 - 3)
        let body = "<" + filler + "TAIL"  // "TA" ends exactly at 64 KiB, "IL" after it
        try await Self.withOrigin({ _ in .text(body) }) { origin in
            var config = HealthCheckConfig(timeout: .seconds(2), expectBody: "<xx")
            let result11 = try await Self.probe(origin, config)
            #expect(result11.passed)
            config.expectBody = "xTA"
            let result12 = try await Self.probe(origin, config)
            #expect(result12.passed)
            config.expectBody = "TAIL"
            let result13 = try await Self.probe(origin, config)
            #expect(result13 == ProbeResult(passed: false, reason: "body does not contain \"TAIL\""))
        }
    }

    @Test func bodyCheckFailsWhenTheBodyIsCutShort() async throws {
        try await Self.withOrigin({ _ in .closeMidBody(declaredLength: 100, sentBytes: 10) }) { origin in
            let result = try await Self.probe(origin, HealthCheckConfig(timeout: .seconds(2), expectBody: "ok"))
            #expect(result == ProbeResult(passed: false, reason: "connection closed before the end of the body"))
        }
    }

    // MARK: - ActiveHealthChecker

    final class Recorder: Sendable {
        let changes = Mutex<[(id: String, healthy: Bool, reason: String)]>([])
        var list: [(id: String, healthy: Bool, reason: String)] { changes.withLock { $0 } }
        var flags: [Bool] { list.map(\.healthy) }
    }

    @Test func checkerFollowsAnOriginDownAndBackUp() async throws {
        let down = Mutex(false)
        try await Self.withOrigin({ _ in down.withLock { $0 } ? .text("maintenance", status: 503) : .ok }) { origin in
            let config = HealthCheckConfig(
                path: "/healthz", interval: .milliseconds(50), timeout: .seconds(3),
                healthyThreshold: 2, unhealthyThreshold: 3
            )
            let recorder = Recorder()
            let checker = ActiveHealthChecker(eventLoop: Self.loop, config: config) { target, healthy, reason in
                recorder.changes.withLock { $0.append((target.id, healthy, reason)) }
            }
            let target = ActiveHealthChecker.Target(
                id: origin.address, address: try SocketAddress(ipAddress: "127.0.0.1", port: origin.port),
                hostHeader: origin.address
            )
            checker.start(targets: [target])
            #expect(await Self.eventually { origin.requestCount >= 3 })
            #expect(try await checker.health(of: origin.address).get() == true)
            #expect(recorder.list.isEmpty)

            down.withLock { $0 = true }
            let failuresBefore = origin.requestCount
            #expect(await Self.eventually { recorder.flags == [false] })
            // It took unhealthy_threshold failing probes (one in flight at the switch may
            // still have passed).
            #expect(origin.requestCount - failuresBefore >= 3)
            #expect(recorder.list.first?.reason == "status 503 not in 200-399")
            #expect(recorder.list.first?.id == origin.address)
            #expect(checker.isHealthy(origin.address) == false)

            down.withLock { $0 = false }
            #expect(await Self.eventually { recorder.flags == [false, true] })
            #expect(recorder.list.last?.reason == "HTTP 200")
            #expect(try await checker.health(of: origin.address).get() == true)

            // Once per transition: more passing probes report nothing.
            let probes = origin.requestCount
            #expect(await Self.eventually { origin.requestCount >= probes + 3 })
            #expect(recorder.flags == [false, true])

            try await checker.stop().get()
            let afterStop = origin.requestCount
            try await Task.sleep(for: .milliseconds(150))
            #expect(origin.requestCount == afterStop)
        }
    }

    @Test func updateKeepsStateOfRemainingTargetsAndSeedsNewOnes() async throws {
        let down = Mutex(true)
        let up = try await TestOrigin.start { _ in .ok }
        let flaky = try await TestOrigin.start { _ in down.withLock { $0 } ? .text("no", status: 500) : .ok }
        let config = HealthCheckConfig(interval: .milliseconds(50), timeout: .seconds(3), healthyThreshold: 2, unhealthyThreshold: 2)
        let recorder = Recorder()
        let checker = ActiveHealthChecker(eventLoop: Self.loop, config: config) { target, healthy, reason in
            recorder.changes.withLock { $0.append((target.id, healthy, reason)) }
        }
        func target(_ origin: TestOrigin) throws -> ActiveHealthChecker.Target {
            .init(id: origin.address, address: try SocketAddress(ipAddress: "127.0.0.1", port: origin.port), hostHeader: origin.address)
        }
        checker.start(targets: [try target(flaky)])
        #expect(await Self.eventually { checker.isHealthy(flaky.address) == false })
        #expect(recorder.list.map(\.id) == [flaky.address])

        // Reload: the flaky server stays (and stays unhealthy, not reset to start_healthy);
        // the new one starts as initialHealth says.
        checker.update(targets: [try target(flaky), try target(up)], initialHealth: [up.address: false, flaky.address: true])
        #expect(try await checker.health(of: flaky.address).get() == false)
        // "up" was seeded unhealthy: it reports one becameHealthy transition (checking its
        // state right after `update` would race its first two probes on a busy machine).
        #expect(await Self.eventually { checker.isHealthy(up.address) == true })
        #expect(recorder.list.contains { $0.id == up.address && $0.healthy })
        #expect(checker.isHealthy(flaky.address) == false)
        #expect(recorder.list.map(\.healthy) == [false, true])

        // Removing a target forgets it and stops its probes.
        checker.update(targets: [try target(up)], initialHealth: [:])
        #expect(try await checker.health(of: flaky.address).get() == nil)
        let flakyProbes = flaky.requestCount
        down.withLock { $0 = false }
        try await Task.sleep(for: .milliseconds(150))
        #expect(flaky.requestCount <= flakyProbes + 1)  // at most one already in flight
        #expect(!recorder.list.contains { $0.id == flaky.address && $0.healthy })
        let snapshot = try await checker.healthSnapshot().get()
        #expect(snapshot == [up.address: true])

        try await checker.stop().get()
        try await up.stop()
        try await flaky.stop()
    }

    @Test func startUnhealthyNeedsPassingProbes() async throws {
        try await Self.withOrigin({ _ in .ok }) { origin in
            let config = HealthCheckConfig(interval: .milliseconds(50), timeout: .seconds(3), healthyThreshold: 2, startHealthy: false)
            let recorder = Recorder()
            let checker = ActiveHealthChecker(eventLoop: Self.loop, config: config) { target, healthy, reason in
                recorder.changes.withLock { $0.append((target.id, healthy, reason)) }
            }
            let target = ActiveHealthChecker.Target(
                id: "origin", address: try SocketAddress(ipAddress: "127.0.0.1", port: origin.port), hostHeader: origin.address
            )
            checker.start(targets: [target])
            #expect(checker.isHealthy("origin") == false)
            #expect(await Self.eventually { recorder.flags == [true] })
            #expect(origin.requestCount >= 2)
            try await checker.stop().get()
        }
    }
}
