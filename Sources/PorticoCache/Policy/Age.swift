/// RFC 9111 §4.2.3 age calculation, step by step, so each quantity can be checked
/// and logged on its own.
///
/// ```
/// apparent_age = max(0, response_time - date_value);
/// response_delay = response_time - request_time;
/// corrected_age_value = age_value + response_delay;
/// corrected_initial_age = max(apparent_age, corrected_age_value);
/// resident_time = now - response_time;
/// current_age = corrected_initial_age + resident_time;
/// ```
public struct ResponseAge: Sendable, Equatable {
    /// `age_value`: the `Age` field (§5.1), 0 when absent or invalid (first line wins).
    public var ageValue: Double
    /// `date_value`: the `Date` field, or `response_time` when absent or invalid
    /// (RFC 9110 §6.6.1: a recipient with a clock uses the time it received the message).
    public var dateValue: Double
    public var apparentAge: Double
    public var responseDelay: Double
    public var correctedAgeValue: Double
    public var correctedInitialAge: Double
    /// `resident_time`; never negative (a clock stepped backwards does not make a
    /// stored response younger than when it arrived).
    public var residentTime: Double
    public var currentAge: Double

    /// The §4.2.3 quantities of `response` at `now`.
    public init(_ response: StoredResponse, now: Double) {
        let age = response.headers.first("age").flatMap { CacheControlDirectives.deltaSeconds(String($0.trimmingSpaces())) }
        self.ageValue = age.map(Double.init) ?? 0
        self.dateValue = response.headers.first("date").flatMap { HTTPDate.parse($0) } ?? response.responseTime
        self.apparentAge = max(0, response.responseTime - self.dateValue)
        self.responseDelay = response.responseTime - response.requestTime
        self.correctedAgeValue = self.ageValue + self.responseDelay
        self.correctedInitialAge = max(self.apparentAge, self.correctedAgeValue)
        self.residentTime = max(0, now - response.responseTime)
        self.currentAge = self.correctedInitialAge + self.residentTime
    }
}
