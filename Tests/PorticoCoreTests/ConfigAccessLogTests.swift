import PorticoCore
import Testing

/// `access_log` (fields, buffer), `listeners[].access_log`, `request_id` and
/// `trace_context`: decoding and diagnostics.
@Suite("Config access log and tracing")
struct ConfigAccessLogTests {
    static let base = """
        listeners:
          - address: "127.0.0.1:8080"
        routes: [{ respond: { status: 200 } }]

        """

    @Test func defaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.base, file: "t.yaml")
        #expect(config.accessLog == AccessLogConfig())
        #expect(config.accessLog.bufferLimit == 8 * 1024 * 1024)
        #expect(config.accessLog.fields == nil)
        #expect(config.listeners[0].accessLog == nil)
        #expect(config.requestID == RequestIDConfig(acceptIncoming: true, responseHeader: .always))
        #expect(config.traceContext == TraceContextConfig(enabled: true, sampleNewTraces: false))
    }

    @Test func decodesEverything() throws {
        let yaml = """
            access_log:
              output: stderr
              format: json
              fields: [time, request_id, trace_id, span_id, status, upstream_addr]
              buffer_limit: 1MiB
            request_id:
              accept_incoming: false
              response_header: errors
            trace_context:
              enabled: false
              sample_new_traces: true
            listeners:
              - address: "127.0.0.1:8080"
                access_log: { format: text }
              - address: "127.0.0.1:8081"
                access_log:
                  fields: [client, status]
            routes: [{ respond: { status: 200 } }]
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "t.yaml")
        #expect(config.accessLog == AccessLogConfig(
            destination: .stderr, format: .json,
            fields: [.time, .requestID, .traceID, .spanID, .status, .upstreamAddr],
            bufferLimit: 1024 * 1024
        ))
        #expect(config.requestID == RequestIDConfig(acceptIncoming: false, responseHeader: .errors))
        #expect(config.traceContext == TraceContextConfig(enabled: false, sampleNewTraces: true))
        #expect(config.listeners[0].accessLog == ListenerAccessLogConfig(format: .text))
        #expect(config.listeners[1].accessLog == ListenerAccessLogConfig(fields: [.client, .status]))
        // Per-listener keys override the global ones one by one.
        let global = config.accessLog.layout
        #expect(config.listeners[0].accessLog?.layout(over: global) == AccessLogLayout(format: .text, fields: global.fields))
        #expect(config.listeners[1].accessLog?.layout(over: global) == AccessLogLayout(format: .json, fields: [.client, .status]))
    }

    @Test func everyFieldNameIsAccepted() throws {
        let names = AccessLogField.allCases.map(\.rawValue).joined(separator: ", ")
        let config = try ConfigLoader.parse(yaml: Self.base + "access_log: { fields: [\(names)] }\n", file: "t.yaml")
        #expect(config.accessLog.fields == AccessLogField.allCases)
    }

    typealias Case = ConfigDiagnosticsTests.Case

    static let cases: [Case] = [
        Case(base + "access_log:\n  fields: [time, statsu]\n", line: 5, path: "access_log.fields[1]", "unknown access_log field \"statsu\" (did you mean \"status\"?)"),
        Case(base + "access_log:\n  fields: [time, frobnicate]\n", line: 5, path: "access_log.fields[1]", "unknown access_log field \"frobnicate\" (expected one of: time, client,"),
        Case(base + "access_log:\n  fields: [status, status]\n", line: 5, path: "access_log.fields[1]", "duplicate access_log field \"status\""),
        Case(base + "access_log:\n  fields: []\n", line: 5, path: "access_log.fields", "at least one access_log field is required"),
        Case(base + "access_log:\n  fields: status\n", line: 5, path: "access_log.fields", "expected a sequence"),
        Case(base + "access_log:\n  buffer_limit: 8XB\n", line: 5, path: "access_log.buffer_limit", "invalid size \"8XB\""),
        Case(base + "access_log:\n  buffer_limit: 0\n", line: 5, path: "access_log.buffer_limit", "size must be greater than 0"),
        Case(base + "access_log:\n  bufer_limit: 1k\n", line: 5, path: "access_log.bufer_limit", "did you mean \"buffer_limit\"?"),
        Case("listeners:\n  - address: \":80\"\n    access_log: { format: xml }\nroutes: [{ respond: { status: 200 } }]\n",
             line: 3, path: "listeners[0].access_log.format", "unknown access_log format \"xml\""),
        Case("listeners:\n  - address: \":80\"\n    access_log: { output: stderr }\nroutes: [{ respond: { status: 200 } }]\n",
             line: 3, path: "listeners[0].access_log.output", "unknown key \"output\""),
        Case("listeners:\n  - address: \":80\"\n    access_log: { fields: [clint] }\nroutes: [{ respond: { status: 200 } }]\n",
             line: 3, path: "listeners[0].access_log.fields[0]", "did you mean \"client\"?"),
        Case(base + "request_id:\n  accept_incoming: \"yes\"\n", line: 5, path: "request_id.accept_incoming", "expected true or false"),
        Case(base + "request_id:\n  response_header: sometimes\n", line: 5, path: "request_id.response_header", "unknown request_id response_header \"sometimes\" (expected one of: always, errors)"),
        Case(base + "request_id:\n  accept_incomming: true\n", line: 5, path: "request_id.accept_incomming", "did you mean \"accept_incoming\"?"),
        Case(base + "trace_context:\n  sampled: true\n", line: 5, path: "trace_context.sampled", "unknown key \"sampled\""),
        Case(base + "trace_context: on\n", line: 4, path: "trace_context", "expected a mapping"),
    ]

    @Test(arguments: cases)
    func diagnostics(_ example: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(example)
    }
}
